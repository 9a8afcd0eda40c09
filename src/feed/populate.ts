import { z } from "zod";
import { badgeWriteCost } from "../cache/badge-cache";
import { countEventsWithoutItems, decodeEventPosition, encodeEventPosition, eventsSince } from "../db/event-reads";
import { insertItemsStatement } from "../db/item-writes";
import type { EventRow } from "../db/schema";
import type { Env } from "../env";
import { type Chunk, type ChunkWork, defineJob } from "../jobs/chunk";
import { enqueueJob, handOnJob, type StartedJob } from "../jobs/launch";
import { log } from "../platform/log";
import { daysBefore } from "../platform/time";
import { refuseWhileReshardRuns } from "../reshard/reshard";
import { type ShardRouter, shardsOf } from "../shards/router";
import { isActivityType } from "./activity-types";
import { type ItemDraft, itemFromEvent } from "./build-item";
import { createdChanges } from "./created-changes";

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
    targetThumbnail: row.targetThumbnail,
  });
  return { ...item, eventId: row.id };
}

/**
 * Queues populate for every user over every shard. It walks whole shards, so
 * it refuses to start while a reshard moves users (ReshardRunningError).
 */
export async function startPopulateAll(env: Env, daysBack: number, now: number): Promise<StartedJob> {
  await refuseWhileReshardRuns(env, "populating every feed");
  return enqueueJob(env, "populate", { since: populateSince(now, daysBack) }, now);
}

/** What populate would create, per shard (dry run). */
export async function countPopulateCandidates(
  env: Env,
  daysBack: number,
  now: number,
  userId?: number,
): Promise<Record<string, number>> {
  const since = populateSince(now, daysBack);
  const router = await shardsOf(env);
  const shards = userId === undefined ? router.all() : [await router.forUser(userId)];
  const counts = await Promise.all(shards.map((shard) => countEventsWithoutItems(shard, since, userId)));
  return Object.fromEntries(shards.map((shard, index) => [`shard_${shard.index}`, counts[index] ?? 0]));
}

/** Stored events per chunk across users: at most 145 users' cached counts to refresh (JOB_STEP_KV_BUDGET). */
const POPULATE_CHUNK_EVENTS = 145;
/** One user's chunk touches one cached count, so it can be larger (still far below D1's value size). */
const USER_POPULATE_CHUNK_EVENTS = 1_000;

const PopulateJobParamsSchema = z.object({
  since: z.number(),
  /** Only this user's events (their shard only): the generate endpoint. */
  userId: z.number().int().positive().optional(),
  /** How many runs for this user handed it on to their new shard before this one (a reshard was moving them). */
  handOns: z.number().int().optional(),
});

export type PopulateJobParams = z.output<typeof PopulateJobParamsSchema>;

/**
 * One user's run on a shard their rows are being moved off, or copied onto:
 * nothing here; a run on their new shard a few seconds later instead.
 */
function handedOn(params: PopulateJobParams & { userId: number }, router: ShardRouter, env: Env, now: number): Chunk {
  const target = router.shardsOfMovingUser(params.userId).at(-1)!;
  return {
    progress: { cursor: "", processed: 0, done: true, detail: { handed_on: 1 } },
    writes: {},
    beforeCommit: async () => {
      if (!(await handOnJob(env, "populate", params, now, [target])))
        log.error("populate not run: the user stayed in a reshard's move for an hour", { user_id: params.userId });
    },
  };
}

/** One chunk on one shard: the next stored events in time order, made into items they do not have yet. */
function populateChunk(params: PopulateJobParams, env: Env): ChunkWork {
  const size = params.userId === undefined ? POPULATE_CHUNK_EVENTS : USER_POPULATE_CHUNK_EVENTS;
  return async ({ shard, cursor, now }) => {
    if (params.userId !== undefined) {
      const router = await shardsOf(env);
      const { here } = await router.sortForWalk(shard, [params.userId]);
      if (here.length === 0) return handedOn({ ...params, userId: params.userId }, router, env, now);
    }
    const rows = await eventsSince(shard, params.since, decodeEventPosition(cursor), size, params.userId);
    const drafts = rows.map(draftFromEventRow).filter((draft) => draft !== undefined);
    const users = [...new Set(drafts.map((draft) => draft.userId))];
    const last = rows.at(-1);
    return {
      progress: {
        cursor: last ? encodeEventPosition({ occurredAt: last.occurredAt, id: last.id }) : cursor,
        processed: rows.length,
        done: rows.length < size,
      },
      writes: drafts.length > 0 ? { counted: insertItemsStatement(shard, drafts) } : {},
      // One user's regeneration runs while a reshard may move them (the whole
      // deployment's waits for the reshard: src/reshard/).
      ...(params.userId !== undefined ? { fence: [params.userId] } : {}),
      unread: { users },
      live: { users, changes: (created) => createdChanges(created, shard.index, now) },
    };
  };
}

export const populateJob = defineJob({
  params: PopulateJobParamsSchema,
  cost: { kv: badgeWriteCost(POPULATE_CHUNK_EVENTS), d1: 3 },
  chunk: populateChunk,
});
