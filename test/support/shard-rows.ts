import { shardIndexForUser } from "../../src/shards/jump-hash";
import { allShards, SHARD_COUNT, shardOf, userOnShard } from "./db";
import { freshUser } from "./http";

/**
 * Row-level reads for the foundation API tests, next to the counters and
 * recount helpers of ./db: which shard a user is on, users placed on chosen
 * shards, a user's stored items and events, and public item ids taken apart.
 */

export function shardIndexOf(userId: number): number {
  return shardIndexForUser(userId, SHARD_COUNT);
}

export function shardDb(index: number): D1Database {
  const db = allShards()[index];
  if (!db) throw new Error(`SHARD_${index} is not bound`);
  return db;
}

/** A fresh user whose rows live on the given shard. */
export const freshUserOnShard = (index: number) => userOnShard(index, freshUser());

/** A fresh user on a shard other than the given one. */
export const freshUserNotOnShard = (index: number) => userOnShard((index + 1) % SHARD_COUNT, freshUser());

export interface StoredItem {
  id: number;
  user_id: number;
  activity_type: string;
  is_read: number;
  read_at: number | null;
  created_at: number;
  title: string;
}

export async function storedItems(userId: number): Promise<StoredItem[]> {
  const { results } = await shardOf(userId)
    .prepare(
      "SELECT id, user_id, activity_type, is_read, read_at, created_at, title FROM feed_items WHERE user_id = ?1 ORDER BY id",
    )
    .bind(userId)
    .all<StoredItem>();
  return results;
}

export async function storedEventCount(userId: number): Promise<number> {
  const row = await shardOf(userId)
    .prepare("SELECT count(*) AS n FROM events WHERE user_id = ?1")
    .bind(userId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Public item id = localId * 1024 + shardIndex (the contract of src/shards/ids.ts). */
export const decodeItemId = (id: number) => ({ shardIndex: id % 1024, localId: Math.floor(id / 1024) });
export const encodeItemId = (shardIndex: number, localId: number) => localId * 1024 + shardIndex;
