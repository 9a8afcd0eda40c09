import { z } from "zod";
import { writeArchive } from "../archive/archive-store";
import { BULK_READ_KEYS, badgeWriteCost, cachedAmong } from "../cache/badge-cache";
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
import { ACTIVITY_TYPE_NAMES, type ActivityType } from "../feed/activity-types";
import { type Chunk, type ChunkWork, defineJob } from "../jobs/chunk";
import type { LiveChange } from "../live/changes";
import { publicIdOf } from "../shards/ids";
import type { Shard } from "../shards/router";
import { shardsOf } from "../shards/router";
import { prefixWithin, prefixWithinOwners } from "./chunk-fit";
import {
  ARCHIVE_CHUNK_TEXT_CHARS,
  RETENTION_CHUNK_CACHED_OWNERS,
  RETENTION_CHUNK_ROWS,
  RETENTION_CHUNK_UNREAD_OWNERS,
  RETENTION_EVENTS_CHUNK_ROWS,
} from "./chunk-sizes";
import type { RetentionPlan } from "./policy";

/**
 * Retention as a chunked job (src/jobs/chunk.ts): on each shard, walk the
 * expired rows type by type, oldest first, and delete them in chunks. With
 * `archive`, each chunk is first written to R2 and verified; only then does
 * the same step delete it, so a crash in between leaves the rows in place and
 * the redelivered step rewrites the same object (its key is fixed by the
 * step) before deleting.
 *
 * After the items, the stored events past their type's retention go too (not
 * archived: they can no longer regenerate an item the policy would keep).
 */

const RetentionJobParamsSchema = z.object({
  plan: z.object({ cutoffs: z.partialRecord(z.enum(ACTIVITY_TYPE_NAMES), z.number()), onlyRead: z.boolean() }),
  archive: z.boolean(),
});

export type RetentionJobParams = z.output<typeof RetentionJobParamsSchema>;

interface RetentionCursor {
  readonly typeIndex: number;
  readonly after?: AgePosition;
}

const decodeCursor = (cursor: string): RetentionCursor =>
  cursor === "" ? { typeIndex: 0 } : (JSON.parse(cursor) as RetentionCursor);

/**
 * Cuts a chunk to what its cache upkeep may cost (./chunk-sizes.ts): at
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

/** Expired rows gathered for one chunk, across types, and where the walk stopped. */
interface Collected {
  readonly rows: { readonly type: ActivityType; readonly row: ExpiredRow }[];
  readonly position: RetentionCursor;
  readonly readQueries: number;
}

/**
 * Fills a chunk from one type after the other, so that types with few expired
 * rows share a chunk (and an archive object) instead of each costing one.
 * Archiving reads the rows' sizes first (a small result), so that the full
 * rows it reads stay within the chunk's text budget.
 */
async function collectExpired(
  shard: Shard,
  params: RetentionJobParams,
  types: readonly ActivityType[],
  start: RetentionCursor,
): Promise<Collected> {
  const read = params.archive ? expiredArchiveLines : expiredKeys;
  const rows: Collected["rows"] = [];
  let position = start;
  let text = 0;
  let readQueries = 0;
  while (position.typeIndex < types.length && rows.length < RETENTION_CHUNK_ROWS && text < ARCHIVE_CHUNK_TEXT_CHARS) {
    const type = types[position.typeIndex]!;
    const cutoff = params.plan.cutoffs[type]!;
    let room = RETENTION_CHUNK_ROWS - rows.length;
    if (params.archive) {
      const sizes = await expiredSizes(shard, type, cutoff, params.plan.onlyRead, position.after, room);
      readQueries += 1;
      const fit = prefixWithin(sizes, ARCHIVE_CHUNK_TEXT_CHARS - text);
      if (fit.count < sizes.length) room = fit.count;
      text += fit.total;
    }
    const found = await read(shard, type, cutoff, params.plan.onlyRead, position.after, room);
    readQueries += 1;
    for (const row of found) rows.push({ type, row });
    const last = found.at(-1);
    position =
      found.length < room || !last
        ? { typeIndex: position.typeIndex + 1 }
        : { typeIndex: position.typeIndex, after: { createdAt: last.createdAt, id: last.id } };
  }
  return { rows, position, readQueries };
}

/** The deleted rows' public ids per owner (kept ones from the DELETE's RETURNING), as live items.deleted changes. */
function deletedChanges(
  rows: readonly ExpiredRow[],
  deleted: D1Result | undefined,
  shardIndex: number,
): Map<number, LiveChange[]> {
  const kept = new Map(
    ((deleted?.results ?? []) as { id: number; publicId: number | null }[]).map((row) => [row.id, row.publicId]),
  );
  const ids = new Map<number, number[]>();
  for (const row of rows) {
    const id = publicIdOf(shardIndex, { id: row.id, publicId: kept.get(row.id) ?? null });
    ids.set(row.userId, [...(ids.get(row.userId) ?? []), id]);
  }
  return new Map([...ids].map(([userId, deleted]) => [userId, [{ type: "items.deleted", ids: deleted }]]));
}

/** The job's running counts after deleting these rows: per type, and `archived`. */
function tallied(detail: Readonly<Record<string, number>>, kept: Collected["rows"], archived: boolean) {
  const updated = { ...detail };
  for (const { type } of kept) updated[type] = (updated[type] ?? 0) + 1;
  if (archived) updated.archived = (updated.archived ?? 0) + kept.length;
  return updated;
}

function retentionChunk(params: RetentionJobParams, env: Env): ChunkWork {
  const types = Object.keys(params.plan.cutoffs) as ActivityType[];
  return async ({ shard, cursor, step, jobId, detail, now }) => {
    const start = decodeCursor(cursor);
    if (start.typeIndex >= types.length) return expiredEventsChunk(shard, params, start.after, detail);
    const collected = await collectExpired(shard, params, types, start);
    if (collected.rows.length === 0) return expiredEventsChunk(shard, params, undefined, detail, collected.readQueries);

    const cut = await cutToCacheBudget(
      env.UNREAD_CACHE,
      collected.rows.map((entry) => entry.row),
    );
    const kept = collected.rows.slice(0, cut.rows.length);
    let position = collected.position;
    if (kept.length < collected.rows.length) {
      const last = kept.at(-1)!;
      position = { typeIndex: types.indexOf(last.type), after: { createdAt: last.row.createdAt, id: last.row.id } };
    }
    const rows = kept.map((entry) => entry.row);
    return {
      // The events phase follows the last type, so the items' walk is never done.
      progress: {
        cursor: JSON.stringify(position),
        processed: rows.length,
        done: false,
        detail: tallied(detail, kept, params.archive),
      },
      writes: {
        counted: deleteItemsStatement(
          shard,
          rows.map((row) => row.id),
        ),
      },
      // Only unread rows change a cached unread count.
      unread: {
        users: [...new Set(rows.filter((row) => !row.isRead).map((row) => row.userId))],
        ...(cut.cachedOwners ? { cached: cut.cachedOwners } : {}),
      },
      live: {
        users: [...new Set(rows.map((row) => row.userId))],
        changes: (deleted) => deletedChanges(rows, deleted, shard.index),
      },
      spent: { externalOperations: cut.operations + (params.archive ? 2 : 0), readQueries: collected.readQueries },
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
  detail: Readonly<Record<string, number>>,
  readQueriesBefore = 0,
): Promise<Chunk> {
  const types = Object.keys(params.plan.cutoffs);
  const expired = await expiredEvents(shard, params.plan.cutoffs, after, RETENTION_EVENTS_CHUNK_ROWS);
  const last = expired.at(-1);
  const next = last ? { after: { createdAt: last.occurredAt, id: last.id } } : after ? { after } : {};
  return {
    progress: {
      cursor: JSON.stringify({ typeIndex: types.length, ...next }),
      processed: 0,
      done: expired.length < RETENTION_EVENTS_CHUNK_ROWS,
      detail: { ...detail, events: (detail.events ?? 0) + expired.length },
    },
    // Not counted: the job's `affected` stays the items deleted; events go to detail.events.
    writes:
      expired.length > 0
        ? {
            others: [
              deleteEventsStatement(
                shard,
                expired.map((event) => event.id),
              ),
            ],
          }
        : {},
    spent: { readQueries: readQueriesBefore + 1 },
  };
}

export const retentionJob = defineJob({
  params: RetentionJobParamsSchema,
  // Cache writes for the cached owners, bulk reads of who is cached, two R2
  // writes when archiving; one range per type (8; archiving: sizes, then rows).
  cost: {
    kv: badgeWriteCost(RETENTION_CHUNK_CACHED_OWNERS) + Math.ceil(RETENTION_CHUNK_UNREAD_OWNERS / BULK_READ_KEYS) + 2,
    d1: 2 * ACTIVITY_TYPE_NAMES.length + 3,
  },
  chunk: retentionChunk,
});

/** A dry run: what the plan would remove, per type and per shard; nothing is deleted. */
export async function countRetentionCandidates(env: Env, plan: RetentionPlan) {
  const types = Object.keys(plan.cutoffs) as ActivityType[];
  const perShard: Record<string, number> = {};
  const perType: Record<string, number> = {};
  await Promise.all(
    (await shardsOf(env)).all().map(async (shard) => {
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
