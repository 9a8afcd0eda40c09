import { itemRowFromSql } from "../db/item-writes";
import type { LiveChange } from "../live/changes";
import { feedItemFrom } from "./feed-item";

/** The items an INSERT ... RETURNING created, per owner, as live item.created changes. */
export function createdChanges(
  result: D1Result | undefined,
  shardIndex: number,
  now: number,
): Map<number, LiveChange[]> {
  const byUser = new Map<number, LiveChange[]>();
  for (const raw of result?.results ?? []) {
    const row = itemRowFromSql(raw as Parameters<typeof itemRowFromSql>[0]);
    const changes = byUser.get(row.userId) ?? [];
    changes.push({ type: "item.created", item: feedItemFrom(row, shardIndex, now) });
    byUser.set(row.userId, changes);
  }
  return byUser;
}
