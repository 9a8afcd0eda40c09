import { writeArchive } from "../archive/archive-store";
import { toArchivedRow } from "../archive/ndjson";
import {
  countExpired,
  deleteEventsStatement,
  deleteItemsStatement,
  expiredEvents,
  expiredKeys,
  expiredRows,
  type AgePosition,
  type ExpiredKey,
} from "../db/retention-queries";
import type { FeedItemRow } from "../db/schema";
import type { Env } from "../env";
import type { ActivityType } from "../feed/activity-types";
import type { Chunk, ChunkWork } from "../jobs/runner";
import type { Shard } from "../shards/router";
import { RETENTION_CHUNK_ROWS, RETENTION_CHUNK_UNREAD_OWNERS } from "../queue/limits";
import { shardsOf } from "../shards/router";
import type { RetentionPlan } from "./policy";

/**
 * Retention as a chunked job (src/jobs/runner.ts): on each shard, walk the
 * expired rows type by type, oldest first, and delete them in chunks. With
 * `archive`, each chunk is first written to R2 and verified; only then does
 * the same step delete it, so a crash in between leaves the rows in place and
 * the redelivered step rewrites the same object (its key is fixed by the
 * step) before deleting.
 *
 * After the items, the stored events past their type's retention go too (not
 * archived: they can no longer regenerate an item the policy would keep).
 */

export interface RetentionJobParams {
  readonly plan: RetentionPlan;
  readonly archive: boolean;
}

interface RetentionCursor {
  readonly typeIndex: number;
  readonly after?: AgePosition;
}

const decodeCursor = (cursor: string): RetentionCursor => (cursor === "" ? { typeIndex: 0 } : (JSON.parse(cursor) as RetentionCursor));

/** The longest prefix whose unread rows have at most `maxOwners` owners (each may cost a cache write). */
function cutToUnreadOwners<T extends ExpiredKey>(rows: T[], maxOwners: number): T[] {
  const owners = new Set<number>();
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (row.isRead || owners.has(row.userId)) continue;
    if (owners.size === maxOwners) return rows.slice(0, index);
    owners.add(row.userId);
  }
  return rows;
}

export function retentionChunk(params: RetentionJobParams, env: Env): ChunkWork {
  const types = Object.keys(params.plan.cutoffs) as ActivityType[];
  return async ({ shard, cursor, step, jobId, detail, now }) => {
    let { typeIndex, after } = decodeCursor(cursor);
    // Archiving needs every column; deleting only needs the keys.
    let rows: (ExpiredKey | FeedItemRow)[] = [];
    let type: ActivityType | undefined;
    // Skip past types with nothing (left) to remove, inside one chunk.
    for (; typeIndex < types.length; typeIndex++, after = undefined) {
      type = types[typeIndex]!;
      const read = params.archive ? expiredRows : expiredKeys;
      rows = await read(shard, type, params.plan.cutoffs[type]!, params.plan.onlyRead, after, RETENTION_CHUNK_ROWS);
      if (rows.length > 0) break;
    }
    if (rows.length === 0 || type === undefined) return expiredEventsChunk(shard, params, after, detail);
    const selected = rows.length;
    rows = cutToUnreadOwners(rows, RETENTION_CHUNK_UNREAD_OWNERS);
    const last = rows.at(-1)!;
    const typeFinished = selected < RETENTION_CHUNK_ROWS && rows.length === selected;
    const next: RetentionCursor = typeFinished ? { typeIndex: typeIndex + 1 } : { typeIndex, after: { createdAt: last.createdAt, id: last.id } };
    const updated = { ...detail, [type]: (detail[type] ?? 0) + rows.length, ...(params.archive ? { archived: (detail.archived ?? 0) + rows.length } : {}) };
    return {
      writes: [deleteItemsStatement(shard, rows.map((row) => row.id))],
      cursor: JSON.stringify(next),
      processed: rows.length,
      // Only unread rows change a cached unread count.
      touchedUsers: [...new Set(rows.filter((row) => !row.isRead).map((row) => row.userId))],
      detail: updated,
      // The events phase follows the last type.
      done: false,
      ...(params.archive
        ? {
            externalOperations: 2,
            beforeCommit: async () => void (await writeArchive(env.ARCHIVE, jobId, shard.index, step, (rows as FeedItemRow[]).map(toArchivedRow), now)),
          }
        : {}),
    };
  };
}

async function expiredEventsChunk(shard: Shard, params: RetentionJobParams, after: AgePosition | undefined, detail: Record<string, number>): Promise<Chunk> {
  const types = Object.keys(params.plan.cutoffs);
  const expired = await expiredEvents(shard, params.plan.cutoffs, after, RETENTION_CHUNK_ROWS);
  const last = expired.at(-1);
  return {
    // changes() of this delete would count events, not items: the job's
    // `affected` stays the items deleted; events go to detail.events.
    writes: [],
    ...(expired.length > 0 ? { sideWrites: [deleteEventsStatement(shard, expired.map((event) => event.id))] } : {}),
    cursor: JSON.stringify({ typeIndex: types.length, ...(last ? { after: { createdAt: last.occurredAt, id: last.id } } : after ? { after } : {}) }),
    processed: 0,
    touchedUsers: [],
    detail: { ...detail, events: (detail.events ?? 0) + expired.length },
    done: expired.length < RETENTION_CHUNK_ROWS,
  };
}

/** A dry run: what the plan would remove, per type and per shard; nothing is deleted. */
export async function countRetentionCandidates(env: Env, plan: RetentionPlan) {
  const types = Object.keys(plan.cutoffs) as ActivityType[];
  const perShard: Record<string, number> = {};
  const perType: Record<string, number> = {};
  await Promise.all(
    shardsOf(env)
      .all()
      .map(async (shard) => {
        const counts = await Promise.all(types.map((type) => countExpired(shard, type, plan.cutoffs[type]!, plan.onlyRead)));
        perShard[`shard_${shard.index}`] = counts.reduce((sum, value) => sum + value, 0);
        types.forEach((type, index) => (perType[type] = (perType[type] ?? 0) + (counts[index] ?? 0)));
      }),
  );
  const total = Object.values(perShard).reduce((sum, value) => sum + value, 0);
  return { total, perType, perShard };
}
