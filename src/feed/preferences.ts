import { readMutedTypes, writeMutedTypes } from "../db/preferences";
import type { Env } from "../env";
import { shardsOf, writeForUser } from "../shards/router";
import { ACTIVITY_TYPE_NAMES, type ActivityType } from "./activity-types";

/**
 * What a user chose to receive. Muting a type stops new items of it for that
 * user on every write path (the inserts check it); existing items stay, and
 * the events are still stored, so unmuting and regenerating backfills.
 */
export interface Preferences {
  readonly mutedTypes: ActivityType[];
}

/** The user's preferences; types since removed from the service are dropped. */
export async function readPreferences(env: Env, userId: number): Promise<Preferences> {
  const stored = await readMutedTypes(await (await shardsOf(env)).forUser(userId), userId);
  return { mutedTypes: ACTIVITY_TYPE_NAMES.filter((type) => stored.includes(type)) };
}

export async function writePreferences(env: Env, userId: number, preferences: Preferences, now: number) {
  const mutedTypes = ACTIVITY_TYPE_NAMES.filter((type) => preferences.mutedTypes.includes(type));
  await writeForUser(env, userId, (shard, fence) => writeMutedTypes(shard, userId, mutedTypes, now, fence));
  return { mutedTypes };
}
