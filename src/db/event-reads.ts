import { and, asc, eq, gte, sql } from "drizzle-orm";
import type { Shard } from "../shards/router";
import { type EventRow, events, feedItems } from "./schema";

/** Reads of stored events, for regenerating feeds. Keyset walks in (occurred_at, id) order. */

export interface EventPosition {
  readonly occurredAt: number;
  readonly id: number;
}

export async function eventsSince(
  shard: Shard,
  since: number,
  after: EventPosition | undefined,
  limit: number,
  userId?: number,
): Promise<EventRow[]> {
  return shard.db
    .select()
    .from(events)
    .where(
      and(
        userId === undefined ? undefined : eq(events.userId, userId),
        gte(events.occurredAt, since),
        after ? sql`(${events.occurredAt}, ${events.id}) > (${after.occurredAt}, ${after.id})` : undefined,
      ),
    )
    .orderBy(asc(events.occurredAt), asc(events.id))
    .limit(limit);
}

/** Stored events since `since` that have no feed item (what populate would create). */
export async function countEventsWithoutItems(shard: Shard, since: number, userId?: number): Promise<number> {
  const [row] = await shard.db
    .select({ value: sql<number>`count(*)` })
    .from(events)
    .where(
      and(
        userId === undefined ? undefined : eq(events.userId, userId),
        gte(events.occurredAt, since),
        sql`NOT EXISTS (SELECT 1 FROM ${feedItems} WHERE ${feedItems.userId} = ${events.userId} AND ${feedItems.dedupeKey} = 'event:' || ${events.sourceEventId})`,
      ),
    );
  return Number(row?.value ?? 0);
}

export const encodeEventPosition = (position: EventPosition) => `${position.occurredAt}:${position.id}`;

export function decodeEventPosition(cursor: string): EventPosition | undefined {
  const match = /^(\d+):(\d+)$/.exec(cursor);
  return match ? { occurredAt: Number(match[1]), id: Number(match[2]) } : undefined;
}
