import { env } from "cloudflare:test";
import { expect } from "vitest";
import { shardIndexForUser } from "../../src/shards/jump-hash";
import { FEED, follow, ids, list, seed } from "./feed";
import { asUser, call, freshUser, staffToken } from "./http";
import { deliver } from "./queues";

/**
 * Users spread over every shard, what each of them looked like before a
 * reshard, and the checks that a reshard left each of them whole on exactly
 * the shard the routing sends them to (test/reshard.test.ts).
 */

export const BOUND_SHARDS = 8;
export const binding = (index: number) => env[`SHARD_${index}`]!;

/** A user's feed as a client saw it: items newest first, and the pages of a cursor walk. */
export interface UserSnapshot {
  readonly user: number;
  readonly items: { id: number; title: string; is_read: boolean }[];
  /** The first page of a cursor walk (two a page) and its next link, taken before the move. */
  readonly firstPage: number[];
  readonly next: string | null;
  /** The rest of that walk, as it went before the move. */
  readonly rest: number[];
  readonly muted: boolean;
}

/**
 * `perShard` fresh users for each of the 8 shards a deployment can grow to,
 * with items (some read) and some preferences: every shard of 4 holds some,
 * and every reshard up to 8 moves some onto each new shard.
 */
export async function seedUsers(perShard: number): Promise<number[]> {
  const users: number[] = [];
  for (let shard = 0; shard < BOUND_SHARDS; shard++) {
    for (let made = 0; made < perShard; ) {
      const user = freshUser();
      if (shardIndexForUser(user, BOUND_SHARDS) !== shard) continue;
      users.push(user);
      made += 1;
    }
  }
  for (const [index, user] of users.entries()) {
    const specs: Record<string, { type: string; at: string; read?: boolean }> = {};
    for (let n = 0; n < 5; n++)
      specs[`u${user}-${n}`] = {
        type: n % 2 ? "fast_join" : "milestone",
        // Two items share a millisecond: the order between them is the id's.
        at: new Date(Date.UTC(2026, 5, 1 + Math.floor(n / 2))).toISOString(),
        read: n < 2,
      };
    await seed(user, specs);
    if (index % 3 === 0) {
      const muted = await asUser(user, "PUT", `${FEED}preferences/`, { muted_types: ["fast_reminder"] });
      expect(muted.status).toBe(200);
    }
  }
  return users;
}

export async function snapshot(user: number, index: number): Promise<UserSnapshot> {
  const items = (await list(user, { page_size: "100" })).results.map((item) => ({
    id: item.id,
    title: item.title,
    is_read: item.is_read as boolean,
  }));
  const first = await list(user, { pagination: "cursor", page_size: "2" });
  const rest: number[] = [];
  for (let page = first; page.next; ) {
    page = await follow(user, page.next);
    rest.push(...ids(page));
  }
  return { user, items, firstPage: ids(first), next: first.next, rest, muted: index % 3 === 0 };
}

const rowsOf = async (shard: number, table: string, user: number) =>
  (
    await binding(shard)
      .prepare(`SELECT count(*) AS n FROM ${table} WHERE user_id = ?1`)
      .bind(user)
      .first<{ n: number }>()
  )?.n ?? 0;

/** Shards holding any item, event or counter row of the user. */
export async function shardsHolding(user: number): Promise<number[]> {
  const holding: number[] = [];
  for (let shard = 0; shard < BOUND_SHARDS; shard++) {
    const rows = await Promise.all(
      ["feed_items", "events", "user_feed_counters", "user_preferences"].map((table) => rowsOf(shard, table, user)),
    );
    if (rows.some((n) => n > 0)) holding.push(shard);
  }
  return holding;
}

/**
 * The user is whole on the shard `count` hashes them to, and nowhere else:
 * the same items under the same ids, the cursor from before still walks the
 * rest, their preferences came along.
 */
export async function expectWhole(before: UserSnapshot, count: number) {
  const { user } = before;
  expect(await shardsHolding(user), `user ${user}`).toEqual([shardIndexForUser(user, count)]);
  const items = (await list(user, { page_size: "100" })).results.map((item) => ({
    id: item.id,
    title: item.title,
    is_read: item.is_read as boolean,
  }));
  expect(items).toEqual(before.items);
  if (before.next) {
    const walked: number[] = [];
    for (let page = await follow(user, before.next); ; page = await follow(user, page.next!)) {
      walked.push(...ids(page));
      if (!page.next) break;
    }
    expect(walked).toEqual(before.rest);
  }
  const preferences = await asUser(user, "GET", `${FEED}preferences/`);
  expect(preferences.body.muted_types).toEqual(before.muted ? ["fast_reminder"] : []);
}

/** On every bound shard, every counter row equals a recount of its items (and no items lack a counter). */
export async function expectCountersEqualRecount() {
  for (let shard = 0; shard < BOUND_SHARDS; shard++) {
    const { results } = await binding(shard)
      .prepare(
        `WITH recount AS (
           SELECT user_id, activity_type, count(*) AS total, sum(is_read = 0) AS unread, sum(is_seen = 0) AS unseen,
                  sum(is_archived = 1) AS archived, sum(is_archived = 1 AND is_read = 0) AS archived_unread,
                  sum(is_archived = 1 AND is_seen = 0) AS archived_unseen
           FROM feed_items GROUP BY user_id, activity_type)
         SELECT c.user_id, c.activity_type FROM user_feed_counters AS c
         LEFT JOIN recount AS r USING (user_id, activity_type)
         WHERE c.total != coalesce(r.total, 0) OR c.unread != coalesce(r.unread, 0)
            OR c.unseen != coalesce(r.unseen, 0) OR c.archived != coalesce(r.archived, 0)
            OR c.archived_unread != coalesce(r.archived_unread, 0) OR c.archived_unseen != coalesce(r.archived_unseen, 0)
         UNION ALL
         SELECT r.user_id, r.activity_type FROM recount AS r
         LEFT JOIN user_feed_counters AS c USING (user_id, activity_type) WHERE c.user_id IS NULL`,
      )
      .all();
    expect(results, `shard ${shard}`).toEqual([]);
  }
}

export async function health(): Promise<{ shards: number; resharding_to?: number }> {
  return (await call("GET", "/health")).body;
}

export async function startReshardCall(shardCount: unknown) {
  return call("POST", "/api/admin/reshard/", { token: await staffToken(), body: { shard_count: shardCount } });
}

/** A fault to inject into one D1 batch: refuse it, or let it commit and lose the answer. */
export type Fault = "before" | "after";

/**
 * A fault injector around the real D1 bindings: `fails` sees each batch call
 * (numbered from 1 over every shard, with the SQL of its statements) and
 * says whether it fails before it runs, or after it committed (a Worker that
 * died before hearing the answer). Everything else goes through.
 */
export function faultyShards(fails: (call: number, sql: string) => Fault | null) {
  let calls = 0;
  const injected: { fault: Fault; sql: string }[] = [];
  const sqlOf = (statements: D1PreparedStatement[]) =>
    statements.map((statement) => (statement as unknown as { statement?: string }).statement ?? "").join(";\n");
  const wrap = (d1: D1Database) =>
    new Proxy(d1, {
      get(target, property) {
        if (property === "batch")
          return async (statements: D1PreparedStatement[]) => {
            calls += 1;
            const sql = sqlOf(statements);
            const fault = fails(calls, sql);
            if (fault === "before") {
              injected.push({ fault, sql });
              throw new Error(`injected fault: batch ${calls} refused`);
            }
            const result = await target.batch(statements);
            if (fault === "after") {
              injected.push({ fault, sql });
              throw new Error(`injected fault: batch ${calls} committed, answer lost`);
            }
            return result;
          };
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const shards = Object.fromEntries(
    Array.from({ length: BOUND_SHARDS }, (_, index) => [`SHARD_${index}`, wrap(binding(index))]),
  );
  return { shards, injected };
}

/**
 * A job queue that only records: the test delivers each message itself
 * (pumpJob), so a step can fail and be delivered again at a point it chooses.
 */
export function recordingJobQueue() {
  const sent: { body: unknown; delaySeconds: number }[] = [];
  const queue = {
    send: async (body: unknown, options?: QueueSendOptions) => {
      sent.push({ body, delaySeconds: options?.delaySeconds ?? 0 });
    },
    sendBatch: async (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
      for (const message of messages)
        sent.push({ body: message.body, delaySeconds: message.delaySeconds ?? options?.delaySeconds ?? 0 });
    },
  } as unknown as Queue<never>;
  return { queue, sent };
}

/**
 * Delivers the recorded job messages to the consumer until none is left:
 * a message the consumer hands back for retry is delivered again (its
 * attempts counted), one it delays waits that long. `between` runs after
 * every delivery (requests made while the job runs).
 */
export async function pumpJob(
  on: typeof env,
  sent: { body: unknown; delaySeconds: number }[],
  between: () => Promise<void> = async () => {},
) {
  let deliveries = 0;
  let retries = 0;
  while (sent.length > 0) {
    const next = sent.shift()!;
    if (next.delaySeconds > 0) await new Promise((resolve) => setTimeout(resolve, next.delaySeconds * 1000));
    for (let attempts = 1; ; attempts++) {
      deliveries += 1;
      const result = await deliver([next.body], { on, attempts, queue: "activity-feed-jobs" });
      await between();
      if (result.retryMessages.length === 0) break;
      retries += 1;
      if (attempts > 10) throw new Error(`job message still failing after ${attempts} attempts`);
    }
  }
  return { deliveries, retries };
}
