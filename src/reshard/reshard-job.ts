import { z } from "zod";
import {
  type CopyKey,
  copyStatements,
  countersAndRecount,
  countsOnly,
  deleteUsersRowsStatement,
  estimatedRows,
  rowCounts,
  rowsLeft,
  rowsToCopy,
  USER_TABLES,
  usersAfter,
} from "../db/user-copy";
import { advanceMovesStatement, markCopyingStatement } from "../db/user-moves";
import type { Env } from "../env";
import { type Chunk, type ChunkContext, type ChunkWork, defineJob } from "../jobs/chunk";
import { primaryBookmark } from "../shards/d1-sessions";
import { shardIndexForUser } from "../shards/jump-hash";
import { type Shard, shardsOf } from "../shards/router";
import { finishReshard } from "./reshard";

/**
 * The reshard job (README, "Adding shards"; docs/decisions/004-resharding.md):
 * one chain per old shard walks that shard's users in id order and moves
 * those whose jump hash changes, a group at a time, through four steps, each
 * one chunk or more and each committed with the chain's progress:
 *
 *   mark    the group's user_moves rows say `copying`: their writes wait from now on;
 *   copy    every table's rows of the group, in key order, onto the new shards;
 *   check   rows per table and counters equal on both sides, and the counters
 *           equal a recount; then `switched`: everything goes to the new shard;
 *   delete  after a grace for reads routed just before, the old rows; then `moved`.
 *
 * A step delivered twice, or run again after a crash, repeats only writes
 * that change nothing the second time (the copy's inserts skip or overwrite
 * rows that are there; marks and deletes are idempotent), so at every point
 * each user is whole on the shard the router sends them to.
 */

/** Users read per scan: one index seek per table each. */
const SCAN_USERS = 500;
/** A group moves together; writes of all its users wait while it is copied. */
const GROUP_USERS = 100;
// Chunk and group sizes hold each statement short: a shard runs one statement at a time, so a
// long copy or delete delays every request of its users. The bench's reshard under load (bench/README.md)
// had user requests' p99 at 3.6x its value before the move with these and no pause between chunks,
// 8.4x with groups of 2,000 rows and chunks of 1,000 (copy) and 2,000 (delete) rows; bigger groups
// move users 3x faster. The pause between chunks (IDLE_PER_BUSY) brought it to 1.2-2.1x.
/** Rows a group may hold (roughly, from the counters); a bigger user moves alone. */
const GROUP_ROWS = 500;
/** Rows one copy chunk reads and writes: about 150 KB at the measured bytes per item. */
const COPY_CHUNK_ROWS = 250;
/** Rows one delete chunk removes from a big table (items, events). */
const DELETE_CHUNK_ROWS = 500;
/** The old rows of a switched group stay this long, for reads routed to them just before the switch. */
export const DELETE_GRACE_MS = 1_000;
/** A copy whose check fails is wiped and made again this many times before the job stops. */
const MAX_COPY_ATTEMPTS = 3;

const ReshardParamsSchema = z.object({
  from: z.number().int().positive(),
  to: z.number().int().positive(),
  /** No one moves before this instant: every isolate's routing has seen the reshard by then. */
  movesFrom: z.number(),
});

export type ReshardParams = z.output<typeof ReshardParamsSchema>;

const GroupSchema = z.object({
  users: z.array(z.number()),
  /** The new shard of each user, in the same order. */
  to: z.array(z.number()),
  /** Where the scan goes on once the group has moved. */
  resumeAfter: z.number(),
  stage: z.enum(["copy", "check", "delete"]),
  /** Index into USER_TABLES (copy), or into the delete order (delete). */
  table: z.number().int(),
  key: z.array(z.union([z.number(), z.string()])).nullable(),
  attempt: z.number().int(),
  deleteFrom: z.number().optional(),
});

type Group = z.output<typeof GroupSchema>;

const CursorSchema = z.object({ after: z.number(), group: GroupSchema.nullable() });
type ReshardCursor = z.output<typeof CursorSchema>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const readCursor = (text: string): ReshardCursor =>
  text === "" ? { after: 0, group: null } : CursorSchema.parse(JSON.parse(text));

const add = (detail: Readonly<Record<string, number>>, counts: Record<string, number>) => {
  const next = { ...detail };
  for (const [key, value] of Object.entries(counts)) next[key] = (next[key] ?? 0) + value;
  return next;
};

/** A chunk that only moves the cursor (and maybe waits). */
const step = (
  cursor: ReshardCursor,
  detail: Readonly<Record<string, number>>,
  extra: Partial<Chunk["progress"]> = {},
): Chunk => ({ progress: { cursor: JSON.stringify(cursor), processed: 0, done: false, detail, ...extra }, writes: {} });

/** The group's users by their new shard. */
function byTarget(group: Group, shards: (index: number) => Shard): Map<Shard, number[]> {
  const targets = new Map<Shard, number[]>();
  group.users.forEach((userId, index) => {
    const target = shards(group.to[index]!);
    targets.set(target, [...(targets.get(target) ?? []), userId]);
  });
  return targets;
}

/** The next users of this shard; the first movers among them become the next group, marked `copying`. */
async function markChunk(params: ReshardParams, context: ChunkContext, cursor: ReshardCursor): Promise<Chunk> {
  const { shard, detail, jobId, now } = context;
  const users = await usersAfter(shard.d1, cursor.after, SCAN_USERS);
  if (users.length === 0)
    return { progress: { cursor: JSON.stringify(cursor), processed: 0, done: true, detail }, writes: {} };
  // Every user here hashes here at the current count; one who does not is reported, never moved.
  const strays = users.filter((userId) => shardIndexForUser(userId, params.from) !== shard.index);
  const movers = users.filter(
    (userId) => !strays.includes(userId) && shardIndexForUser(userId, params.to) !== shard.index,
  );
  if (movers.length === 0)
    return step({ after: users.at(-1)!, group: null }, add(detail, { scanned: users.length, strays: strays.length }));
  const sizes = await estimatedRows(shard.d1, movers.slice(0, GROUP_USERS));
  const group: number[] = [];
  let rows = 0;
  for (const userId of movers.slice(0, GROUP_USERS)) {
    const size = sizes.get(userId)!;
    if (group.length > 0 && rows + size > GROUP_ROWS) break;
    group.push(userId);
    rows += size;
  }
  const resumeAfter = group.length === movers.length ? users.at(-1)! : group.at(-1)!;
  const scanned = users.filter((userId) => userId <= resumeAfter);
  const moves = group.map((userId) => ({ userId, toShard: shardIndexForUser(userId, params.to) }));
  return {
    progress: {
      cursor: JSON.stringify({
        after: cursor.after,
        group: {
          users: group,
          to: moves.map((move) => move.toShard),
          resumeAfter,
          stage: "copy",
          table: 0,
          key: null,
          attempt: 1,
        },
      } satisfies ReshardCursor),
      processed: 0,
      done: false,
      detail: add(detail, {
        scanned: scanned.length,
        strays: strays.filter((userId) => userId <= resumeAfter).length,
      }),
    },
    writes: { others: [markCopyingStatement(shard.d1, jobId, moves, now)] },
  };
}

/** The group's next rows, table after table, written to their new shards before the chunk commits. */
async function copyChunk(
  context: ChunkContext,
  cursor: ReshardCursor,
  group: Group,
  shards: (index: number) => Shard,
): Promise<Chunk> {
  const { shard, detail } = context;
  const targetOf = new Map(group.users.map((userId, index) => [userId, shards(group.to[index]!)]));
  const writes = new Map<Shard, D1PreparedStatement[]>();
  let table = group.table;
  let key: CopyKey | null = group.key;
  let copied = 0;
  while (table < USER_TABLES.length && copied < COPY_CHUNK_ROWS) {
    const spec = USER_TABLES[table]!;
    const room = COPY_CHUNK_ROWS - copied;
    const read = await rowsToCopy(shard.d1, spec, group.users, shard.index, key, room);
    const linesByTarget = new Map<Shard, string[]>();
    for (const row of read.rows) {
      const target = targetOf.get(row.userId)!;
      linesByTarget.set(target, [...(linesByTarget.get(target) ?? []), row.line]);
    }
    for (const [target, lines] of linesByTarget)
      writes.set(target, [...(writes.get(target) ?? []), ...copyStatements(target.d1, spec, lines)]);
    copied += read.rows.length;
    if (read.rows.length < room) {
      table += 1;
      key = null;
    } else key = read.last;
  }
  const next: Group =
    table < USER_TABLES.length
      ? { ...group, table, key: key ? [...key] : null }
      : { ...group, stage: "check", table: 0, key: null };
  return {
    ...step({ ...cursor, group: next }, add(detail, { copied })),
    // Written before the progress commits: a crash in between copies the same rows again, which changes nothing.
    beforeCommit: async () => {
      await Promise.all([...writes].map(([target, statements]) => target.d1.batch(statements)));
    },
  };
}

/** Users whose copy differs from their rows here: rows per table, or counters (and the copy's recount). */
async function mismatchedUsers(shard: Shard, target: Shard, users: readonly number[]): Promise<Set<number>> {
  const [here, there, oldCounters, newCounters] = await Promise.all([
    rowCounts(shard.d1, users),
    rowCounts(target.d1, users),
    countersAndRecount(shard.d1, users),
    countersAndRecount(target.d1, users),
  ]);
  const wrong = new Set<number>();
  for (const userId of users) {
    for (const table of USER_TABLES) {
      const name = `${table.name}:${userId}`;
      if ((here.get(name) ?? 0) !== (there.get(name) ?? 0)) wrong.add(userId);
    }
  }
  for (const [name, counts] of oldCounters.counters) {
    const copied = newCounters.counters.get(name);
    const recounted = newCounters.recount.get(name) ?? "0,0,0,0,0,0";
    if (copied !== counts || countsOnly(copied) !== recounted) wrong.add(Number(name.split(":")[0]));
  }
  return wrong;
}

/** Checks the group's copies; switches the group when they are right, else wipes the wrong ones and copies again. */
async function checkChunk(
  context: ChunkContext,
  cursor: ReshardCursor,
  group: Group,
  shards: (index: number) => Shard,
): Promise<Chunk> {
  const { shard, detail, jobId, now } = context;
  const targets = byTarget(group, shards);
  const wrong = new Map<Shard, number[]>();
  for (const [target, users] of targets) {
    const mismatched = await mismatchedUsers(shard, target, users);
    if (mismatched.size > 0) wrong.set(target, [...mismatched]);
  }
  if (wrong.size > 0) {
    if (group.attempt >= MAX_COPY_ATTEMPTS)
      throw new Error(
        `reshard ${jobId}: the copies of users ${[...wrong.values()].flat().join(", ")} from shard ${shard.index} ` +
          `still differ after ${group.attempt} attempts; they stay on shard ${shard.index} (reads whole, writes waiting)`,
      );
    return {
      ...step(
        { ...cursor, group: { ...group, stage: "copy", table: 0, key: null, attempt: group.attempt + 1 } },
        add(detail, { recopied: [...wrong.values()].flat().length }),
      ),
      beforeCommit: () => wipeCopies(wrong),
    };
  }
  // Reads of a switched user start on their new shard no older than the copy (a replica may lag behind it).
  const bookmarks = new Map<number, string>();
  for (const [target, users] of targets) {
    const bookmark = await primaryBookmark(target.d1);
    if (bookmark) for (const userId of users) bookmarks.set(userId, bookmark);
  }
  return {
    ...step(
      { ...cursor, group: { ...group, stage: "delete", table: 0, key: null, deleteFrom: now + DELETE_GRACE_MS } },
      detail,
      { waitMs: DELETE_GRACE_MS },
    ),
    writes: { others: [advanceMovesStatement(shard.d1, jobId, group.users, "switched", now, bookmarks)] },
  };
}

/** Removes every row of these users from their new shards, for a copy made again from the start. */
async function wipeCopies(wrong: ReadonlyMap<Shard, readonly number[]>) {
  for (const [target, users] of wrong) {
    for (const table of USER_TABLES) {
      while (table.big && (await rowsLeft(target.d1, table, users, DELETE_CHUNK_ROWS)) > 0)
        await deleteUsersRowsStatement(target.d1, table, users, DELETE_CHUNK_ROWS).run();
    }
    // Items first: their delete trigger updates the counters deleted next.
    await target.d1.batch(
      USER_TABLES.filter((table) => !table.big).map((table) =>
        deleteUsersRowsStatement(target.d1, table, users, DELETE_CHUNK_ROWS),
      ),
    );
  }
}

/** Big tables deleted chunk by chunk (items first: their trigger keeps the counters right), then the rest at once. */
const DELETE_ORDER = ["feed_items", "events"].map((name) => USER_TABLES.find((table) => table.name === name)!);

/** Deletes the switched group's rows here, then records it as moved and goes on scanning. */
async function deleteChunk(context: ChunkContext, cursor: ReshardCursor, group: Group): Promise<Chunk> {
  const { shard, detail, jobId, now } = context;
  if (group.deleteFrom !== undefined && now < group.deleteFrom)
    return step(cursor, detail, { waitMs: group.deleteFrom - now });
  const table = DELETE_ORDER[group.table];
  if (table) {
    const left = await rowsLeft(shard.d1, table, group.users, DELETE_CHUNK_ROWS);
    const finished = left <= DELETE_CHUNK_ROWS;
    return {
      ...step(
        { ...cursor, group: { ...group, table: finished ? group.table + 1 : group.table } },
        add(detail, { deleted: Math.min(left, DELETE_CHUNK_ROWS) }),
      ),
      writes: left > 0 ? { others: [deleteUsersRowsStatement(shard.d1, table, group.users, DELETE_CHUNK_ROWS)] } : {},
    };
  }
  const small = USER_TABLES.filter((spec) => !spec.big);
  return {
    progress: {
      cursor: JSON.stringify({ after: group.resumeAfter, group: null } satisfies ReshardCursor),
      processed: group.users.length,
      done: false,
      detail: add(detail, { moved: group.users.length }),
    },
    writes: {
      others: [
        ...small.map((spec) => deleteUsersRowsStatement(shard.d1, spec, group.users, DELETE_CHUNK_ROWS)),
        advanceMovesStatement(shard.d1, jobId, group.users, "moved", now),
      ],
    },
  };
}

/**
 * Idle time after each chunk, as a share of the time the chunk (its reads
 * and its commit) kept the shards busy: a shard runs one statement at a
 * time, so a chain that never pauses queues its users' requests behind it.
 * Measured (bench, 4 -> 5 under load): p99 during the move 210 ms without a
 * pause, 100 ms with a bare yield, 80-120 ms at 0.5 and 1; 0.5 costs a fifth
 * of the move's speed.
 */
const IDLE_PER_BUSY = 0.5;

function reshardChunk(params: ReshardParams, env: Env): ChunkWork {
  // Chunks of one step run back to back in one invocation; the pace spans them.
  let busySince: number | undefined;
  return async (context) => {
    if (busySince !== undefined) await sleep((Date.now() - busySince) * IDLE_PER_BUSY);
    busySince = Date.now();
    const cursor = readCursor(context.cursor);
    // Until every isolate routes by the reshard, nobody may start moving.
    if (context.now < params.movesFrom) return step(cursor, context.detail, { waitMs: params.movesFrom - context.now });
    const group = cursor.group;
    if (!group) return markChunk(params, context, cursor);
    const router = await shardsOf(env);
    const shards = (index: number) => {
      const shard = router.byIndex(index);
      if (!shard) throw new Error(`reshard: shard ${index} is not bound`);
      return shard;
    };
    if (group.stage === "copy") return copyChunk(context, cursor, group, shards);
    if (group.stage === "check") return checkChunk(context, cursor, group, shards);
    return deleteChunk(context, cursor, group);
  };
}

export const reshardJob = defineJob({
  params: ReshardParamsSchema,
  // No KV at all; D1: a copy chunk reads up to seven tables and writes to up to three new shards,
  // a check reads every table twice on each side.
  cost: { kv: 0, d1: 32 },
  chunk: reshardChunk,
  onDone: (params, env, jobId) => finishReshard(env, params, jobId),
});
