import { insertItemsStatement } from "../db/item-writes";
import { countParticipants, knownFastName, participantsAfter } from "../db/participants";
import type { Env } from "../env";
import type { ChunkWork } from "../jobs/runner";
import { utcDay } from "../platform/time";
import { FANOUT_CHUNK_USERS } from "../queue/limits";
import type { ReminderRequest } from "../schemas/reminders";
import { shardsOf } from "../shards/router";
import { ACTIVITY_TYPES } from "./activity-types";
import type { ItemDraft } from "./build-item";

/**
 * Reminders go to every current participant of a fast: one item each, at most
 * once per reminder, fast and UTC day however often the reminder is sent
 * (the dedupe key carries the day the request arrived).
 */

/** Everything a fan-out chunk needs, fixed when the request arrives. */
export interface ReminderPlan {
  readonly request: ReminderRequest;
  readonly fastName: string | null;
  readonly requestedAt: number;
}

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
  };
}

/** Resolves the fast's name once, so every chunk on every shard uses the same one. */
export async function planReminder(env: Env, request: ReminderRequest, requestedAt: number): Promise<ReminderPlan> {
  let fastName =
    request.fast_name ?? (typeof request.data?.fast_name === "string" ? request.data.fast_name : undefined);
  if (fastName === undefined) {
    for (const shard of shardsOf(env).all()) {
      fastName = await knownFastName(shard, request.fast_id);
      if (fastName !== undefined) break;
    }
  }
  return { request, fastName: fastName ?? null, requestedAt };
}

/** How many users a reminder targets, per shard and in total. */
export async function countReminderTargets(env: Env, fastId: number): Promise<number> {
  const counts = await Promise.all(
    shardsOf(env)
      .all()
      .map((shard) => countParticipants(shard, fastId)),
  );
  return counts.reduce((sum, value) => sum + value, 0);
}

/** One chunk of the fan-out on one shard: the next participants in user id order. */
export function reminderChunk(plan: ReminderPlan): ChunkWork {
  return async ({ shard, cursor }) => {
    const afterUserId = cursor === "" ? 0 : Number(cursor);
    const users = await participantsAfter(shard, plan.request.fast_id, afterUserId, FANOUT_CHUNK_USERS);
    const done = users.length < FANOUT_CHUNK_USERS;
    return {
      writes:
        users.length > 0
          ? [
              insertItemsStatement(
                shard,
                users.map((userId) => reminderItem(plan, userId)),
              ),
            ]
          : [],
      cursor: String(users.at(-1) ?? afterUserId),
      processed: users.length,
      touchedUsers: users,
      done,
    };
  };
}
