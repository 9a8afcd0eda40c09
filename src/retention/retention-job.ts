import { writeArchive } from "../archive/archive-store";
import { cachedAmong } from "../cache/unread-cache";
import {
  type AgePosition,
  countExpired,
  deleteEventsStatement,
  deleteItemsStatement,
  type ExpiredKey,
  expiredArchiveLines,
  expiredEvents,
  expiredKeys,
  expiredSizes,
} from "../db/retention-queries";
import type { Env } from "../env";
import type { ActivityType } from "../feed/activity-types";
import type { Chunk, ChunkWork } from "../jobs/runner";
import {
  ARCHIVE_CHUNK_TEXT_CHARS,
  RETENTION_CHUNK_CACHED_OWNERS,
  RETENTION_CHUNK_ROWS,
  RETENTION_CHUNK_UNREAD_OWNERS,
  RETENTION_EVENTS_CHUNK_ROWS,
} from "../queue/limits";
import type { Shard } from "../shards/router";
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

const decodeCursor = (cursor: string): RetentionCursor =>
  cursor === "" ? { typeIndex: 0 } : (JSON.parse(cursor) as RetentionCursor);

/**
 * The longest prefix of `rows` whose unread rows have at most `max` distinct
 * owners among those `counted` accepts.
 */
function prefixWithinOwners<T extends ExpiredKey>(rows: T[], max: number, counted: (userId: number) => boolean): T[] {
  const owners = new Set<number>();
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (row.isRead || owners.has(row.userId) || !counted(row.userId)) continue;
    if (owners.size === max) return rows.slice(0, index);
    owners.add(row.userId);
  }
  return rows;
}

/**
 * Cuts a chunk to what its cache upkeep may cost (src/queue/limits.ts): at
 * most RETENTION_CHUNK_UNREAD_OWNERS owners of unread rows to look up, and of
 * those at most RETENTION_CHUNK_CACHED_OWNERS with a cached count, each one KV
 * write after the commit. Returns the prefix, the cached owners when it looked
 * them up (the commit then need not look again), and the KV reads it used.
 */
async function cutToCacheBudget<T extends ExpiredKey>(
  kv: KVNamespace,
  rows: T[],
): Promise<{ rows: T[]; cachedOwners?: ReadonlySet<number>; operations: number }> {
  const lookedUp = prefixWithinOwners(rows, RETENTION_CHUNK_UNREAD_OWNERS, () => true);
  const unreadOwners = [...new Set(lookedUp.filter((row) => !row.isRead).map((row) => row.userId))];
  if (unreadOwners.length <= RETENTION_CHUNK_CACHED_OWNERS) return { rows: lookedUp, operations: 0 };
  const { cached, operations } = await cachedAmong(kv, unreadOwners);
  const cachedOwners = new Set(cached);
  return {
    rows: prefixWithinOwners(lookedUp, RETENTION_CHUNK_CACHED_OWNERS, (userId) => cachedOwners.has(userId)),
    cachedOwners,
    operations,
  };
}

type ArchiveLineRow = ExpiredKey & { line: string };
type ExpiredRow = ExpiredKey | ArchiveLineRow;

/**
 * How many of these sizes, from the first, fit in `budget` (at least one, so
 * that a chunk always moves on), and their total.
 */
function prefixWithin(sizes: readonly number[], budget: number): { count: number; total: number } {
  let total = 0;
  for (let index = 0; index < sizes.length; index++) {
    const next = total + sizes[index]!;
    if (next > budget) return index === 0 ? { count: 1, total: next } : { count: index, total };
    total = next;
  }
  return { count: sizes.length, total };
}

export function retentionChunk(params: RetentionJobParams, env: Env): ChunkWork {
  const types = Object.keys(params.plan.cutoffs) as ActivityType[];
  // Archiving needs every column; deleting only needs the keys.
  const read = params.archive ? expiredArchiveLines : expiredKeys;
  return async ({ shard, cursor, step, jobId, detail, now }) => {
    const start = decodeCursor(cursor);
    if (start.typeIndex >= types.length) return expiredEventsChunk(shard, params, start.after, detail);

    // Fill the chunk from one type after the other, so that types with few
    // expired rows share a chunk (and an archive object) instead of each
    // costing one.
    const collected: { type: ActivityType; row: ExpiredRow }[] = [];
    let position: RetentionCursor = start;
    let text = 0;
    let readQueries = 0;
    while (
      position.typeIndex < types.length &&
      collected.length < RETENTION_CHUNK_ROWS &&
      text < ARCHIVE_CHUNK_TEXT_CHARS
    ) {
      const type = types[position.typeIndex]!;
      const cutoff = params.plan.cutoffs[type]!;
      let room = RETENTION_CHUNK_ROWS - collected.length;
      if (params.archive) {
        // Sizes first (a small result), so that the full rows read stay within the chunk's text budget.
        const sizes = await expiredSizes(shard, type, cutoff, params.plan.onlyRead, position.after, room);
        readQueries += 1;
        const fit = prefixWithin(sizes, ARCHIVE_CHUNK_TEXT_CHARS - text);
        if (fit.count < sizes.length) room = fit.count;
        text += fit.total;
      }
      const rows = await read(shard, type, cutoff, params.plan.onlyRead, position.after, room);
      readQueries += 1;
      for (const row of rows) collected.push({ type, row });
      const last = rows.at(-1);
      position =
        rows.length < room || !last
          ? { typeIndex: position.typeIndex + 1 }
          : { typeIndex: position.typeIndex, after: { createdAt: last.createdAt, id: last.id } };
    }
    if (collected.length === 0) return expiredEventsChunk(shard, params, undefined, detail, readQueries);

    const cut = await cutToCacheBudget(
      env.UNREAD_CACHE,
      collected.map((entry) => entry.row),
    );
    const kept = collected.slice(0, cut.rows.length);
    if (kept.length < collected.length) {
      const last = kept.at(-1)!;
      position = { typeIndex: types.indexOf(last.type), after: { createdAt: last.row.createdAt, id: last.row.id } };
    }
    const rows = kept.map((entry) => entry.row);
    const updated = { ...detail };
    for (const { type } of kept) updated[type] = (updated[type] ?? 0) + 1;
    if (params.archive) updated.archived = (updated.archived ?? 0) + rows.length;
    return {
      writes: [
        deleteItemsStatement(
          shard,
          rows.map((row) => row.id),
        ),
      ],
      cursor: JSON.stringify(position),
      processed: rows.length,
      // Only unread rows change a cached unread count.
      touchedUsers: [...new Set(rows.filter((row) => !row.isRead).map((row) => row.userId))],
      ...(cut.cachedOwners ? { cachedUsers: cut.cachedOwners } : {}),
      detail: updated,
      // The events phase follows the last type.
      done: false,
      externalOperations: cut.operations + (params.archive ? 2 : 0),
      readQueries,
      ...(params.archive
        ? {
            beforeCommit: async () =>
              void (await writeArchive(env.ARCHIVE, jobId, shard.index, step, rows as ArchiveLineRow[], now)),
          }
        : {}),
    };
  };
}

async function expiredEventsChunk(
  shard: Shard,
  params: RetentionJobParams,
  after: AgePosition | undefined,
  detail: Record<string, number>,
  readQueriesBefore = 0,
): Promise<Chunk> {
  const types = Object.keys(params.plan.cutoffs);
  const expired = await expiredEvents(shard, params.plan.cutoffs, after, RETENTION_EVENTS_CHUNK_ROWS);
  const last = expired.at(-1);
  return {
    // changes() of this delete would count events, not items: the job's
    // `affected` stays the items deleted; events go to detail.events.
    writes: [],
    ...(expired.length > 0
      ? {
          sideWrites: [
            deleteEventsStatement(
              shard,
              expired.map((event) => event.id),
            ),
          ],
        }
      : {}),
    cursor: JSON.stringify({
      typeIndex: types.length,
      ...(last ? { after: { createdAt: last.occurredAt, id: last.id } } : after ? { after } : {}),
    }),
    processed: 0,
    touchedUsers: [],
    detail: { ...detail, events: (detail.events ?? 0) + expired.length },
    done: expired.length < RETENTION_EVENTS_CHUNK_ROWS,
    readQueries: readQueriesBefore + 1,
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
        const counts = await Promise.all(
          types.map((type) => countExpired(shard, type, plan.cutoffs[type]!, plan.onlyRead)),
        );
        perShard[`shard_${shard.index}`] = counts.reduce((sum, value) => sum + value, 0);
        types.forEach((type, index) => {
          perType[type] = (perType[type] ?? 0) + (counts[index] ?? 0);
        });
      }),
  );
  const total = Object.values(perShard).reduce((sum, value) => sum + value, 0);
  return { total, perType, perShard };
}
