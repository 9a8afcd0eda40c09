import { getTableName, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Shard } from "../shards/router";
import { userPreferences } from "./schema";

/** Per-user preferences (migrations/0005): the activity types a user mutes. */

export async function readMutedTypes(shard: Shard, userId: number): Promise<string[]> {
  const [row] = await shard.db
    .select({ mutedTypes: userPreferences.mutedTypes })
    .from(userPreferences)
    .where(sql`${userPreferences.userId} = ${userId}`);
  return row ? (JSON.parse(row.mutedTypes) as string[]) : [];
}

/** Replaces the user's muted types, in a batch led by `fence` (the reshard's write fence); returns what is stored. */
export async function writeMutedTypes(
  shard: Shard,
  userId: number,
  types: readonly string[],
  now: number,
  fence: readonly D1PreparedStatement[] = [],
) {
  const upsert = shard.d1
    .prepare(
      `INSERT INTO user_preferences (user_id, muted_types, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (user_id) DO UPDATE SET muted_types = ?2, updated_at = ?3`,
    )
    .bind(userId, JSON.stringify(types), now);
  await shard.d1.batch([...fence, upsert]);
  return [...types];
}

/** 1 when the user in `userColumn` mutes `type`, else 0: a column expression for a select. */
export function mutes(userColumn: SQLiteColumn, type: string): SQL<number> {
  // Qualified by hand: drizzle writes a select's fields unqualified, and a bare
  // "user_id" inside the subquery would be user_preferences' own.
  const owner = sql`${sql.identifier(getTableName(userColumn.table))}.${sql.identifier(userColumn.name)}`;
  return sql<number>`EXISTS (SELECT 1 FROM user_preferences AS p, json_each(p.muted_types) AS m
    WHERE p.user_id = ${owner} AND m.value = ${type})`;
}
