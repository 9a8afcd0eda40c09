import { shardOf, userOnShard } from "./db";
import { call, freshUser, staffToken } from "./http";
import { DAY } from "./time";

/** Helpers of the retention and archive tests: old rows loaded straight into a shard, cleanup calls, archive listings. */

export const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

export async function cleanup(body: Record<string, unknown>) {
  return call("POST", "/api/admin/cleanup/", { token: await staffToken(), body });
}

/** Bulk-loads old items straight into a shard (faster than the API for big backlogs). */
export async function loadOldItems(userId: number, type: string, count: number, ageDays: number, unread = false) {
  const rows = Array.from({ length: count }, (_, index) => ({
    user_id: userId,
    activity_type: type,
    title: `old ${type} ${index}`,
    created_at: Date.now() - ageDays * DAY - index * 1000,
    is_read: unread ? 0 : 1,
  }));
  await shardOf(userId)
    .prepare(
      `INSERT INTO feed_items (user_id, activity_type, title, created_at, is_read, read_at)
       SELECT r.value ->> 'user_id', r.value ->> 'activity_type', r.value ->> 'title', r.value ->> 'created_at', r.value ->> 'is_read',
              CASE WHEN r.value ->> 'is_read' = 1 THEN r.value ->> 'created_at' END
       FROM json_each(?1) AS r`,
    )
    .bind(JSON.stringify(rows))
    .run();
}

/** `count` fresh users on one shard, each with one unread item of `type`, `ageDays` old (the first one newest). */
export async function ownersWithOneOldUnreadItem(
  shard: number,
  count: number,
  type: string,
  ageDays: number,
): Promise<number[]> {
  const owners: number[] = [];
  let next = freshUser();
  for (let index = 0; index < count; index++) {
    next = userOnShard(shard, next + 1);
    owners.push(next);
  }
  const rows = owners.map((user, index) => ({ user_id: user, created_at: Date.now() - ageDays * DAY - index }));
  await shardOf(owners[0]!)
    .prepare(
      `INSERT INTO feed_items (user_id, activity_type, title, created_at)
       SELECT r.value ->> 'user_id', ?2, 'old', r.value ->> 'created_at' FROM json_each(?1) AS r`,
    )
    .bind(JSON.stringify(rows), type)
    .run();
  return owners;
}

/** Rows per archive object of a run on one shard, in step order. */
export async function archivedChunkRows(runId: string, shard: number): Promise<number[]> {
  const listing = await call("GET", `/api/admin/archives/?run_id=${runId}`, { token: await staffToken() });
  return listing.body.results
    .filter((entry: { shard: number }) => entry.shard === shard)
    .sort((a: { step: number }, b: { step: number }) => a.step - b.step)
    .map((entry: { rows: number }) => entry.rows);
}
