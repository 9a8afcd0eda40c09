import { z } from "zod";
import { badgeWriteCost } from "../cache/badge-cache";
import { insertItemsStatement } from "../db/item-writes";
import { countParticipants, knownFastName, participantsAfter } from "../db/participants";
import type { Env } from "../env";
import { type ChunkWork, defineJob } from "../jobs/chunk";
import { handOnJob } from "../jobs/launch";
import { log } from "../platform/log";
import { utcDay } from "../platform/time";
import { type ReminderRequest, ReminderRequestSchema } from "../schemas/reminders";
import { type ShardRouter, shardsOf } from "../shards/router";
import { ACTIVITY_TYPES } from "./activity-types";
import type { ItemDraft } from "./build-item";
import { createdChanges } from "./created-changes";

/**
 * Reminders go to every current participant of a fast: one item each, at most
 * once per reminder, fast and UTC day however often the reminder is sent
 * (the dedupe key carries the day the request arrived).
 */

/**
 * Recipients per reminder chunk. Each may cost one KV write (their unread
 * count) plus a bulk read per 100, so 145 keeps a chunk within
 * JOB_STEP_KV_BUDGET; the chunk's insert travels as one JSON parameter of
 * roughly 60 KB.
 */
const FANOUT_CHUNK_USERS = 145;

/** A reminder small enough to finish inside the request in synchronous mode. */
export const SYNC_FANOUT_MAX_USERS = 400;

/** Everything a fan-out chunk needs, fixed when the request arrives. */
const ReminderPlanSchema = z.object({
  request: ReminderRequestSchema,
  fastName: z.string().nullable(),
  requestedAt: z.number(),
  /** Only these participants: users a reshard was moving when the fan-out met them (reminderChunk). */
  users: z.array(z.number()).optional(),
  /** How many fan-outs handed these users on before this one. */
  handOns: z.number().int().optional(),
});

export type ReminderPlan = z.output<typeof ReminderPlanSchema>;

export function reminderDedupeKey(request: ReminderRequest, requestedAt: number): string {
  const day = utcDay(requestedAt);
  return request.kind === "fast_reminder"
    ? `fast_reminder:${request.fast_id}:${day}`
    : `devotional_reminder:${request.devotional_id}:${request.fast_id}:${day}`;
}

/** The item one participant receives (title, description and data as the original). */
export function reminderItem(plan: ReminderPlan, userId: number): ItemDraft {
  const { request } = plan;
  const fastName = plan.fastName ?? undefined;
  const data =
    request.kind === "fast_reminder"
      ? { ...request.data, fast_id: request.fast_id, fast_name: fastName, reminder_type: request.reminder_type }
      : {
          ...request.data,
          devotional_id: request.devotional_id,
          fast_id: request.fast_id,
          fast_name: fastName,
          video_title: request.video_title,
        };
  const type = ACTIVITY_TYPES[request.kind];
  const target =
    request.kind === "fast_reminder"
      ? { type: "hub.fast", id: request.fast_id }
      : { type: "hub.devotional", id: request.devotional_id };
  return {
    userId,
    activityType: request.kind,
    title: type.title(data),
    description: type.description(data),
    targetType: target.type,
    targetId: target.id,
    data: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
    createdAt: plan.requestedAt,
    dedupeKey: reminderDedupeKey(request, plan.requestedAt),
    targetThumbnail: request.target_thumbnail ?? null,
  };
}

/** Resolves the fast's name once, so every chunk on every shard uses the same one. */
export async function planReminder(env: Env, request: ReminderRequest, requestedAt: number): Promise<ReminderPlan> {
  let fastName =
    request.fast_name ?? (typeof request.data?.fast_name === "string" ? request.data.fast_name : undefined);
  if (fastName === undefined) {
    for (const shard of (await shardsOf(env)).all()) {
      fastName = await knownFastName(shard, request.fast_id);
      if (fastName !== undefined) break;
    }
  }
  return { request, fastName: fastName ?? null, requestedAt };
}

/** How many users a reminder targets, per shard and in total. */
export async function countReminderTargets(env: Env, fastId: number): Promise<number> {
  const counts = await Promise.all((await shardsOf(env)).all().map((shard) => countParticipants(shard, fastId)));
  return counts.reduce((sum, value) => sum + value, 0);
}

/**
 * One chunk of the fan-out on one shard: the next participants in user id
 * order. During a reshard, participants being moved off this shard are not
 * written here: the walk of the shard they move to may have passed them, so
 * they go to a fan-out of their own a few seconds later, which finds them
 * wherever they are by then (the day's dedupe key keeps it to one item).
 */
function reminderChunk(plan: ReminderPlan, env: Env): ChunkWork {
  return async ({ shard, cursor, detail, now }) => {
    const afterUserId = cursor === "" ? 0 : Number(cursor);
    const found = await participantsAfter(
      shard,
      plan.request.fast_id,
      afterUserId,
      FANOUT_CHUNK_USERS,
      plan.request.kind,
      plan.users,
    );
    // Participants who mute the type get nothing (the insert would skip them too); they are counted.
    const unmuted = found.filter((participant) => !participant.muted).map((participant) => participant.userId);
    const router = await shardsOf(env);
    const { here: users, leaving } = await router.sortForWalk(shard, unmuted);
    const counts: Record<string, number> = { ...detail, muted: (detail.muted ?? 0) + found.length - unmuted.length };
    if (leaving.length > 0) counts.handed_on = (detail.handed_on ?? 0) + leaving.length;
    return {
      progress: {
        cursor: String(found.at(-1)?.userId ?? afterUserId),
        processed: found.length,
        done: found.length < FANOUT_CHUNK_USERS,
        detail: counts,
      },
      writes:
        users.length > 0
          ? {
              counted: insertItemsStatement(
                shard,
                users.map((userId) => reminderItem(plan, userId)),
              ),
            }
          : {},
      // One who started moving since they were sorted aborts the chunk (the fence), which runs again.
      fence: users,
      unread: { users },
      live: { users, changes: (created) => createdChanges(created, shard.index, now) },
      ...(leaving.length > 0 ? { beforeCommit: () => handOn(env, plan, leaving, router, now) } : {}),
    };
  };
}

/** A fan-out of its own for users being moved, on their old and new shards, after a move's few seconds. */
async function handOn(env: Env, plan: ReminderPlan, users: readonly number[], router: ShardRouter, now: number) {
  const shards = new Set(users.flatMap((userId) => router.shardsOfMovingUser(userId)));
  if (!(await handOnJob(env, "reminder", { ...plan, users: [...users] }, now, [...shards])))
    log.error("reminder not delivered: its users stayed in a reshard's move for an hour", {
      users,
      reshard: router.reshard?.jobId,
      dedupe_key: reminderDedupeKey(plan.request, plan.requestedAt),
    });
}

export const reminderJob = defineJob({
  params: ReminderPlanSchema,
  cost: { kv: badgeWriteCost(FANOUT_CHUNK_USERS), d1: 3 },
  chunk: reminderChunk,
});
