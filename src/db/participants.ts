import { and, asc, count, eq, gt, isNotNull, sql } from "drizzle-orm";
import type { Shard } from "../shards/router";
import { mutes } from "./preferences";
import { fastParticipants } from "./schema";

/** Current participants of a fast on one shard (index fast_participants_current). */

const isCurrent = (fastId: number) =>
  and(eq(fastParticipants.fastId, fastId), eq(fastParticipants.isParticipant, true));

export async function countParticipants(shard: Shard, fastId: number): Promise<number> {
  const [row] = await shard.db.select({ value: count() }).from(fastParticipants).where(isCurrent(fastId));
  return row?.value ?? 0;
}

export interface Participant {
  readonly userId: number;
  /** They mute the type being sent (user_preferences). */
  readonly muted: boolean;
}

/**
 * The next participants after `afterUserId`, in user id order (a keyset
 * walk), and who of them mutes `type`; only those of `among` when given.
 */
export async function participantsAfter(
  shard: Shard,
  fastId: number,
  afterUserId: number,
  limit: number,
  type: string,
  among?: readonly number[],
): Promise<Participant[]> {
  const only = among && sql`${fastParticipants.userId} IN (SELECT value FROM json_each(${JSON.stringify(among)}))`;
  const rows = await shard.db
    .select({ userId: fastParticipants.userId, muted: mutes(fastParticipants.userId, type) })
    .from(fastParticipants)
    .where(and(isCurrent(fastId), gt(fastParticipants.userId, afterUserId), only))
    .orderBy(asc(fastParticipants.userId))
    .limit(limit);
  return rows.map((row) => ({ userId: row.userId, muted: row.muted === 1 }));
}

/** A name for the fast as its join events gave it, if any participant's did. */
export async function knownFastName(shard: Shard, fastId: number): Promise<string | undefined> {
  const [row] = await shard.db
    .select({ name: fastParticipants.fastName })
    .from(fastParticipants)
    .where(and(eq(fastParticipants.fastId, fastId), isNotNull(fastParticipants.fastName)))
    .limit(1);
  return row?.name ?? undefined;
}
