import type { Config } from "../config";
import { countEventsWithoutItems, decodeEventPosition, encodeEventPosition, eventsSince } from "../db/event-reads";
import { insertItemsStatement } from "../db/item-writes";
import { readJob } from "../db/jobs";
import type { EventRow } from "../db/schema";
import type { Env } from "../env";
import { type ChunkWork, runJobInline } from "../jobs/runner";
import { daysBefore } from "../platform/time";
import { POPULATE_CHUNK_EVENTS } from "../queue/limits";
import { shardsOf } from "../shards/router";
import { isActivityType } from "./activity-types";
import { type ItemDraft, itemFromEvent } from "./build-item";

/**
 * Regenerating feeds from stored events (the original's generate endpoint and
 * populate_activity_feeds). Items are keyed by their source event, so running
 * it again, or over items that already exist, creates nothing twice.
 */

export const populateSince = (now: number, daysBack: number) => daysBefore(now, daysBack);

function draftFromEventRow(row: EventRow): (ItemDraft & { eventId: number }) | undefined {
  if (!isActivityType(row.eventType)) return undefined;
  const item = itemFromEvent({
    userId: row.userId,
    eventType: row.eventType,
    sourceEventId: row.sourceEventId,
    targetType: row.targetType,
    targetId: row.targetId,
    fastId: row.fastId,
    data: JSON.parse(row.data) as Record<string, unknown>,
    title: row.title,
    description: row.description,
    occurredAt: row.occurredAt,
  });
  return { ...item, eventId: row.id };
}

export interface UserPopulateResult {
  readonly createdCount: number;
  readonly start: number;
  readonly end: number;
  readonly jobId: string;
}

/**
 * Rebuilds one user's feed from their events of the last `daysBack` days,
 * inside this invocation (the generate endpoint). It is the populate job
 * restricted to the user's shard and events.
 */
export async function generateUserFeed(
  env: Env,
  config: Config,
  userId: number,
  daysBack: number,
  now: number,
): Promise<UserPopulateResult> {
  const shard = shardsOf(env).forUser(userId);
  const since = populateSince(now, daysBack);
  const job = await runJobInline(env, config, "populate", { since, userId }, now, [shard.index]);
  const progress = await readJob(shard, job.jobId);
  return { createdCount: progress?.affected ?? 0, start: since, end: now, jobId: job.jobId };
}

/** What populate would create, per shard (dry run). */
export async function countPopulateCandidates(
  env: Env,
  daysBack: number,
  now: number,
  userId?: number,
): Promise<Record<string, number>> {
  const since = populateSince(now, daysBack);
  const shards = userId === undefined ? shardsOf(env).all() : [shardsOf(env).forUser(userId)];
  const counts = await Promise.all(shards.map((shard) => countEventsWithoutItems(shard, since, userId)));
  return Object.fromEntries(shards.map((shard, index) => [`shard_${shard.index}`, counts[index] ?? 0]));
}

export interface PopulateJobParams {
  readonly since: number;
  /** Only this user's events (their shard only). */
  readonly userId?: number;
}

/**
 * Events per chunk. Across users each chunk may touch as many users' cached
 * counts as it has events; one user's chunk touches one, so it can be larger
 * while staying far below D1's 2 MB parameter size.
 */
const chunkSize = (params: PopulateJobParams) => (params.userId === undefined ? POPULATE_CHUNK_EVENTS : 1000);

/** One chunk of populate-all on one shard: the next stored events in time order. */
export function populateChunk(params: PopulateJobParams): ChunkWork {
  return async ({ shard, cursor }) => {
    const size = chunkSize(params);
    const rows = await eventsSince(shard, params.since, decodeEventPosition(cursor), size, params.userId);
    const drafts = rows.map(draftFromEventRow).filter((draft) => draft !== undefined);
    const last = rows.at(-1);
    return {
      writes: drafts.length > 0 ? [insertItemsStatement(shard, drafts)] : [],
      cursor: last ? encodeEventPosition({ occurredAt: last.occurredAt, id: last.id }) : cursor,
      processed: rows.length,
      touchedUsers: [...new Set(drafts.map((draft) => draft.userId))],
      done: rows.length < size,
    };
  };
}
