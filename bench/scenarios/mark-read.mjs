// Scenario 5: mark all read for a user with 10,000 unread items, one request,
// against the same UPDATE on a raw copy of the shard file (same schema and
// triggers, same rows). Fresh data for every repetition: each repetition is
// another user with 10,000 unread items, loaded for this purpose.

import { initialShardCount } from "../../scripts/lib/project.mjs";
import { shardIndexForUser } from "../../src/shards/jump-hash.ts";
import { feedClient } from "../lib/api.mjs";
import { openDatabase } from "../lib/sqlite.mjs";
import { median, ratio } from "../lib/stats.mjs";

/** The statement src/db/read-state.ts runs for `mark_all`. */
const MARK_ALL = "UPDATE feed_items SET is_read = 1, read_at = ? WHERE user_id = ? AND is_read = 0";

/**
 * On copies of the shard files, taken before the Worker starts. One
 * connection per shard; its first write (which creates the WAL file of the
 * fresh copy) is a no-op update made before timing, so that it is not charged
 * to the first user.
 */
export function markReadRaw({ rawFiles, userIds }) {
  const connections = new Map();
  const connectionFor = (index) => {
    if (!connections.has(index)) {
      const db = openDatabase(rawFiles[index]);
      db.exec("UPDATE feed_items SET is_read = is_read WHERE id = (SELECT min(id) FROM feed_items)");
      connections.set(index, { db, update: db.prepare(MARK_ALL) });
    }
    return connections.get(index);
  };
  const runs = [];
  for (const userId of userIds) {
    const { update } = connectionFor(shardIndexForUser(userId, initialShardCount()));
    const started = performance.now();
    const { changes } = update.run(Date.now(), userId);
    runs.push({ user_id: userId, ms: performance.now() - started, updated: Number(changes) });
  }
  for (const { db } of connections.values()) db.close();
  return { statement: MARK_ALL, runs, median_ms: median(runs.map((run) => run.ms)) };
}

export async function markReadService({ baseUrl, userIds, expected }) {
  const runs = [];
  for (const userId of userIds) {
    const feed = feedClient(baseUrl, userId);
    const started = performance.now();
    const body = await feed.markRead({ all: true });
    const ms = performance.now() - started;
    const { d1 } = feed.lastAnswer();
    if (body.updated_count !== expected)
      throw new Error(`mark-read for user ${userId} updated ${body.updated_count}, expected ${expected}`);
    const { background: _, ...usage } = d1 ?? {};
    runs.push({ user_id: userId, ms, updated: body.updated_count, ...(d1 ? { d1: usage } : {}) });
  }
  return { runs, median_ms: median(runs.map((run) => run.ms)) };
}

export function markReadResult(service, raw) {
  return { service, raw, ratio: ratio(service.median_ms, raw.median_ms) };
}
