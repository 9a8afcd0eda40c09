import type { Shard } from "../shards/router";
import { unreadCountsStatement, unreadMapFrom } from "./item-writes";

export type MarkReadTarget = { readonly all: true } | { readonly localIds: readonly number[] };

/**
 * Marks the user's unread items as read and returns how many changed and the
 * user's unread count after it, in one D1 batch. Rows of other users and rows
 * already read never match, so they are neither changed nor counted. The
 * counters follow through the feed_items_count_read trigger. `is_read = 0` is a
 * literal so that SQLite uses the partial index of unread rows.
 */
export async function markItemsRead(shard: Shard, userId: number, target: MarkReadTarget, now: number) {
  const update =
    "all" in target
      ? shard.d1
          .prepare("UPDATE feed_items SET is_read = 1, read_at = ?1 WHERE user_id = ?2 AND is_read = 0")
          .bind(now, userId)
      : shard.d1
          // The unary + keeps SQLite from choosing the user's unread index (and
          // reading every unread row); the ids go straight to the primary key.
          .prepare(
            `UPDATE feed_items SET is_read = 1, read_at = ?1
             WHERE id IN (SELECT value FROM json_each(?3)) AND +user_id = ?2 AND +is_read = 0`,
          )
          .bind(now, userId, JSON.stringify(target.localIds));
  // meta.changes would also count the trigger's counter updates, so the number
  // of items marked is read off the counters, before and after, in the same
  // transaction.
  const [before, , after] = await shard.d1.batch([
    unreadCountsStatement(shard, [userId]),
    update,
    unreadCountsStatement(shard, [userId]),
  ]);
  const unreadBefore = unreadMapFrom([userId], before).get(userId) ?? 0;
  const unreadAfter = unreadMapFrom([userId], after).get(userId) ?? 0;
  return { updated: unreadBefore - unreadAfter, unread: unreadAfter };
}
