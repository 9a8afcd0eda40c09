import { count, eq, min, sql } from "drizzle-orm";
import { ACTIVITY_TYPE_NAMES } from "../feed/activity-types";
import type { Shard } from "../shards/router";
import { events, feedItems, userFeedCounters } from "./schema";

/** Table-growth figures of one shard, read without scanning feed_items. */
export interface ShardStats {
  items: number;
  unreadItems: number;
  unseenItems: number;
  archivedItems: number;
  perType: Record<string, number>;
  oldestItemAt: number | null;
  events: number;
  users: number;
  databaseBytes: number | null;
}

export async function readShardStats(shard: Shard): Promise<ShardStats> {
  const perTypeQuery = shard.db
    .select({
      type: userFeedCounters.activityType,
      total: sql<number>`sum(${userFeedCounters.total})`,
      unread: sql<number>`sum(${userFeedCounters.unread})`,
      unseen: sql<number>`sum(${userFeedCounters.unseen})`,
      archived: sql<number>`sum(${userFeedCounters.archived})`,
    })
    .from(userFeedCounters)
    .groupBy(userFeedCounters.activityType);
  const usersQuery = shard.db
    .select({ value: sql<number>`count(DISTINCT ${userFeedCounters.userId})` })
    .from(userFeedCounters)
    .where(sql`${userFeedCounters.total} > 0`);
  // One index seek per type on (activity_type, created_at).
  const oldestQueries = ACTIVITY_TYPE_NAMES.map((type) =>
    shard.db
      .select({ value: min(feedItems.createdAt) })
      .from(feedItems)
      .where(eq(feedItems.activityType, type)),
  );
  const eventsQuery = shard.db.select({ value: count() }).from(events);
  const [perTypeRows, usersRows, eventRows, ...oldestRows] = await shard.db.batch([
    perTypeQuery,
    usersQuery,
    eventsQuery,
    ...oldestQueries,
  ]);
  // D1 reports the database's size in the metadata of every result.
  const probe = await shard.d1.prepare("SELECT 1").run();
  const databaseBytes = (probe.meta as { size_after?: number }).size_after ?? null;

  const perType: Record<string, number> = {};
  let items = 0;
  let unreadItems = 0;
  let unseenItems = 0;
  let archivedItems = 0;
  for (const row of perTypeRows) {
    const total = Number(row.total ?? 0);
    if (total <= 0) continue;
    perType[row.type] = total;
    items += total;
    unreadItems += Number(row.unread ?? 0);
    unseenItems += Number(row.unseen ?? 0);
    archivedItems += Number(row.archived ?? 0);
  }
  const oldest = oldestRows.map((rows) => rows[0]?.value).filter((value): value is number => typeof value === "number");
  return {
    items,
    unreadItems,
    unseenItems,
    archivedItems,
    perType,
    oldestItemAt: oldest.length > 0 ? Math.min(...oldest) : null,
    events: eventRows[0]?.value ?? 0,
    users: Number(usersRows[0]?.value ?? 0),
    databaseBytes,
  };
}
