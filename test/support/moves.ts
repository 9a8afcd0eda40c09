import { env } from "cloudflare:test";
import { shardIndexForUser } from "../../src/shards/jump-hash";

/**
 * A reshard's state set by hand (the routing row, user_moves, copied rows),
 * for tests of how routing, ids and writes behave at each point of a move;
 * test/reshard.test.ts runs the job itself.
 */

const ITEM_COLUMNS = `user_id, activity_type, event_id, target_type, target_id, title, description, is_read, read_at,
  created_at, data, dedupe_key, is_seen, seen_at, is_archived, archived_at, target_thumbnail`;

export const shardBinding = (index: number) => env[`SHARD_${index}`]!;

/** A user id from `from` on whose shard differs between `count` and `target` shards. */
export function moverFrom(from: number, count = 4, target = 5): number {
  let user = from;
  while (shardIndexForUser(user, count) === shardIndexForUser(user, target)) user += 1;
  return user;
}

/** Copies a user's items to another shard as the reshard job does: in (created_at, id) order, public ids kept. */
export async function copyItemsByHand(user: number, from: number, to: number) {
  const { results } = await shardBinding(from)
    .prepare(`SELECT id, ${ITEM_COLUMNS} FROM feed_items WHERE user_id = ?1 ORDER BY created_at, id`)
    .bind(user)
    .all<Record<string, unknown> & { id: number }>();
  for (const row of results) {
    const { id, ...columns } = row;
    const names = Object.keys(columns);
    await shardBinding(to)
      .prepare(`INSERT INTO feed_items (${names.join(", ")}, public_id) VALUES (${names.map(() => "?").join(", ")}, ?)`)
      .bind(...Object.values(columns), id * 1024 + from)
      .run();
  }
}

export async function deleteItemsByHand(user: number, shard: number) {
  const db = shardBinding(shard);
  await db.batch([
    db.prepare("DELETE FROM feed_items WHERE user_id = ?1").bind(user),
    db.prepare("DELETE FROM user_feed_counters WHERE user_id = ?1").bind(user),
  ]);
}

/** Sets the user's move state on the shard they leave (no state: the row is removed). */
export async function setMoveState(user: number, from: number, to: number, state: string | null) {
  const db = shardBinding(from);
  if (state === null) await db.prepare("DELETE FROM user_moves WHERE user_id = ?1").bind(user).run();
  else
    await db
      .prepare(
        `INSERT INTO user_moves (user_id, job_id, to_shard, state, updated_at) VALUES (?1, 'reshard-by-hand', ?2, ?3, ?4)
         ON CONFLICT (user_id) DO UPDATE SET state = ?3`,
      )
      .bind(user, to, state, Date.now())
      .run();
}

/** Every cached routing view expires (ROUTING_CACHE_SECONDS is 1 in tests). */
export const routingCacheExpires = () => new Promise((resolve) => setTimeout(resolve, 1_100));

/** Stores the routing: a count, a reshard's target, or nothing (the deployment's SHARD_COUNT). */
export async function routeOver(shardCount: number | null, target: number | null = null) {
  const db = shardBinding(0);
  if (shardCount === null) await db.prepare("DELETE FROM deployment_routing").run();
  else
    await db
      .prepare(
        `INSERT INTO deployment_routing (id, shard_count, target_count, job_id, moves_from, changed_at)
         VALUES (1, ?1, ?2, CASE WHEN ?2 IS NULL THEN NULL ELSE 'reshard-by-hand' END, ?3, ?3)
         ON CONFLICT (id) DO UPDATE SET shard_count = ?1, target_count = ?2, job_id = excluded.job_id`,
      )
      .bind(shardCount, target, Date.now())
      .run();
  await routingCacheExpires();
}
