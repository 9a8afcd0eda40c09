import type { Shard } from "../shards/router";
import { badgeCountsFrom, badgeCountsStatement, type InboxCounts } from "./badge-counts";
import { liveUsersFrom, liveUsersStatement } from "./live-presence";

/**
 * The state changes of items: read, unread, seen, archived, unarchived. Each
 * is one UPDATE that touches only rows whose state changes, so the counter
 * trigger (feed_items_count_states) moves exactly with it.
 */

export type StateChange = "read" | "unread" | "seen" | "archive" | "unarchive";

/**
 * Some items by local id (rows native to the shard) and by the public id they
 * kept from a shard their owner lived on before (`public_id`), or every inbox
 * item (not archived) matching the bounds.
 */
export type StateTarget =
  | { readonly localIds: readonly number[]; readonly publicIds?: readonly number[] }
  | { readonly all: true; readonly types?: readonly string[]; readonly createdAtOrBefore?: number };

interface ChangeSql {
  /** The SET clause; ?1 is now. */
  readonly set: string;
  /** Rows the change applies to, as literals (so SQLite can prove which partial index applies). */
  readonly from: string;
  /** The counter sum that moves by exactly the number of rows changed, and its sign. */
  readonly counter: string;
  readonly sign: 1 | -1;
}

// Reading implies seeing; marking unread leaves seen alone.
const CHANGES: Record<StateChange, ChangeSql> = {
  read: {
    set: "is_read = 1, read_at = ?1, is_seen = 1, seen_at = coalesce(seen_at, ?1)",
    from: "is_read = 0",
    counter: "unread",
    sign: -1,
  },
  unread: { set: "is_read = 0, read_at = NULL", from: "is_read = 1", counter: "unread", sign: 1 },
  seen: { set: "is_seen = 1, seen_at = ?1", from: "is_seen = 0", counter: "unseen", sign: -1 },
  archive: { set: "is_archived = 1, archived_at = ?1", from: "is_archived = 0", counter: "archived", sign: 1 },
  unarchive: { set: "is_archived = 0, archived_at = NULL", from: "is_archived = 1", counter: "archived", sign: -1 },
};

const RETURNING_IDS = "RETURNING id, public_id AS publicId";

function updateStatements(shard: Shard, userId: number, change: ChangeSql, target: StateTarget, now: number) {
  if ("localIds" in target) {
    // The unary + keeps SQLite from choosing one of the user's indexes (and
    // reading every row in it); the ids go straight to the primary key, or to
    // the (user_id, public_id) index for ids kept from another shard.
    const from = change.from.replace(/^(\w+)/, "+$1");
    const statements = [
      shard.d1
        .prepare(
          `UPDATE feed_items SET ${change.set}
           WHERE id IN (SELECT value FROM json_each(?3)) AND +user_id = ?2 AND ${from} ${RETURNING_IDS}`,
        )
        .bind(now, userId, JSON.stringify(target.localIds)),
    ];
    if (target.publicIds && target.publicIds.length > 0)
      statements.push(
        shard.d1
          .prepare(
            `UPDATE feed_items SET ${change.set}
             WHERE user_id = ?2 AND public_id IN (SELECT value FROM json_each(?3)) AND ${from} ${RETURNING_IDS}`,
          )
          .bind(now, userId, JSON.stringify(target.publicIds)),
      );
    return statements;
  }
  // The inbox only: archived items are out of it (and out of its counts).
  // Bounds are added only when given, so each stays an index range.
  const conditions = ["user_id = ?2", "is_archived = 0"];
  if (change.from !== "is_archived = 0") conditions.push(change.from);
  const params: unknown[] = [now, userId];
  if (target.types) {
    params.push(JSON.stringify(target.types));
    conditions.push(`activity_type IN (SELECT value FROM json_each(?${params.length}))`);
  }
  if (target.createdAtOrBefore !== undefined) {
    params.push(target.createdAtOrBefore);
    conditions.push(`created_at <= ?${params.length}`);
  }
  return [shard.d1.prepare(`UPDATE feed_items SET ${change.set} WHERE ${conditions.join(" AND ")}`).bind(...params)];
}

function counterStatement(shard: Shard, userId: number, counter: string) {
  return shard.d1
    .prepare(`SELECT coalesce(sum(${counter}), 0) AS value FROM user_feed_counters WHERE user_id = ?1`)
    .bind(userId);
}

export interface StateChangeOutcome {
  /** Items whose state changed. */
  readonly updated: number;
  /** The rows, when the change named items (a mark_all does not list them): local ids and kept public ids. */
  readonly changed?: readonly { readonly id: number; readonly publicId: number | null }[];
  /** The user has a live channel open. */
  readonly live: boolean;
  readonly counts: InboxCounts;
}

/**
 * Applies one state change to the user's items and returns how many changed,
 * the user's counts after it and whether they are connected, in one D1 batch
 * (led by the reshard's write fence, when there is one). Rows of other users, and
 * rows already in the new state, never match. meta.changes would count the
 * trigger's counter updates too, so the count is read off the counters,
 * before and after, in the same transaction.
 */
export async function changeItemStates(
  shard: Shard,
  userId: number,
  change: StateChange,
  target: StateTarget,
  now: number,
  fence: readonly D1PreparedStatement[] = [],
): Promise<StateChangeOutcome> {
  const sql = CHANGES[change];
  const updates = updateStatements(shard, userId, sql, target, now);
  const results = await shard.d1.batch([
    ...fence,
    counterStatement(shard, userId, sql.counter),
    ...updates,
    counterStatement(shard, userId, sql.counter),
    liveUsersStatement(shard, [userId], now),
    badgeCountsStatement(shard, [userId]),
  ]);
  const [before, ...rest] = results.slice(fence.length);
  const updated = rest.slice(0, updates.length);
  const [after, live, badge] = rest.slice(updates.length);
  const value = (result: D1Result | undefined) => (result?.results[0] as { value: number } | undefined)?.value ?? 0;
  return {
    updated: sql.sign * (value(after) - value(before)),
    ...("localIds" in target
      ? {
          changed: updated.flatMap((result) => (result.results ?? []) as { id: number; publicId: number | null }[]),
        }
      : {}),
    live: liveUsersFrom(live).has(userId),
    counts: badgeCountsFrom([userId], badge).get(userId)!,
  };
}
