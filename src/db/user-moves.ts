/**
 * Where a moving user stands (migrations/0009): the row on the shard they
 * are leaving, and the write fence every write batch of a reshard's users
 * begins with. It takes bindings, not routed shards: the router reads it to
 * route.
 */

export type MoveStage = "copying" | "switched" | "moved";

export interface UserMove {
  readonly state: MoveStage;
  readonly toShard: number;
  /** The new shard's Sessions bookmark after the copy, if the copy recorded one. */
  readonly bookmark: string | null;
}

/** These users' moves off this shard: one primary-key lookup each, in one statement. */
export async function readUserMoves(
  d1: D1Database | D1DatabaseSession,
  userIds: readonly number[],
): Promise<Map<number, UserMove>> {
  const { results } = await d1
    .prepare(
      `SELECT user_id AS userId, state, to_shard AS toShard, bookmark FROM user_moves
       WHERE user_id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(userIds))
    .all<UserMove & { userId: number }>();
  return new Map(results.map(({ userId, ...move }) => [userId, move]));
}

/** The message of the fence's abort (user_write_fence_check). */
export const USER_MOVING = "user moving to another shard";

/** Aborts its batch when one of these users is moving off this shard (or has moved). */
export function writeFenceStatement(d1: D1Database, userIds: readonly number[]): D1PreparedStatement {
  return d1.prepare("INSERT INTO user_write_fence (user_ids) VALUES (?1)").bind(JSON.stringify(userIds));
}

export const isUserMovingError = (error: unknown): boolean =>
  String(error instanceof Error ? error.message : error).includes(USER_MOVING);

/** Marks users as copying to their new shards (a redelivered mark changes nothing). */
export function markCopyingStatement(
  d1: D1Database,
  jobId: string,
  moves: readonly { readonly userId: number; readonly toShard: number }[],
  now: number,
): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO user_moves (user_id, job_id, to_shard, state, updated_at)
       SELECT m.value ->> 'user_id', ?2, m.value ->> 'to_shard', 'copying', ?3 FROM json_each(?1) AS m WHERE true
       ON CONFLICT (user_id) DO NOTHING`,
    )
    .bind(JSON.stringify(moves.map((move) => ({ user_id: move.userId, to_shard: move.toShard }))), jobId, now);
}

/** Moves these users of the job on to `state` (with the new shard's bookmark when switching). */
export function advanceMovesStatement(
  d1: D1Database,
  jobId: string,
  userIds: readonly number[],
  state: Exclude<MoveStage, "copying">,
  now: number,
  bookmarks: ReadonlyMap<number, string> = new Map(),
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE user_moves SET state = ?3, updated_at = ?4,
         bookmark = coalesce((SELECT b.value ->> 'bookmark' FROM json_each(?5) AS b WHERE b.value ->> 'user_id' = user_id), bookmark)
       WHERE user_id IN (SELECT value FROM json_each(?1)) AND job_id = ?2`,
    )
    .bind(
      JSON.stringify(userIds),
      jobId,
      state,
      now,
      JSON.stringify([...bookmarks].map(([userId, bookmark]) => ({ user_id: userId, bookmark }))),
    );
}
