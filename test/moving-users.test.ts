import { env } from "cloudflare:test";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FeedMessage } from "../src/queue/messages";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { FEED, list } from "./support/feed";
import { asUser, call, freshUser, ingest, staffToken } from "./support/http";
import { copyItemsByHand, deleteItemsByHand, moverFrom, routeOver, setMoveState, shardBinding } from "./support/moves";
import { deliver, watchedQueues } from "./support/queues";

/**
 * Requests for users a reshard (4 -> 5, its state set by hand) is moving:
 * reads are served from wherever the user's rows are whole, writes wait for
 * the copy or answer 503, and queued events come back later. The job that
 * makes these states is tested in test/reshard.test.ts.
 */

const itemsOn = async (shard: number, user: number) =>
  (
    await shardBinding(shard)
      .prepare("SELECT count(*) AS n FROM feed_items WHERE user_id = ?1")
      .bind(user)
      .first<{ n: number }>()
  )?.n ?? 0;

describe("users a reshard is moving", () => {
  let mover: number;
  let from: number;
  let to: number;
  let stayer: number;
  let moverIds: number[];

  beforeAll(async () => {
    mover = moverFrom(freshUser());
    from = shardIndexForUser(mover, 4);
    to = shardIndexForUser(mover, 5);
    stayer = freshUser();
    while (shardIndexForUser(stayer, 5) !== shardIndexForUser(stayer, 4)) stayer += 1;
    const created = await ingest(
      [1, 2, 3].map((n) => ({ user_id: mover, activity_type: "milestone", title: `m${n}` })),
    );
    moverIds = created.results.map((result) => result.id);
    await ingest({ user_id: stayer, activity_type: "milestone", title: "s1" });
    await routeOver(4, 5);
  });

  beforeEach(() => setMoveState(mover, from, to, "copying"));

  afterAll(() => routeOver(null));

  it("a user the reshard does not move reads and writes as before", async () => {
    const page = await list(stayer);
    expect(page.count).toBe(1);
    const marked = await asUser(stayer, "POST", `${FEED}mark-read/`, { mark_all: true });
    expect(marked.body.updated_count).toBe(1);
  });

  it("while a user's rows are copied, reads come from the old shard, whole", async () => {
    const page = await list(mover);
    expect(page.results.map((item) => item.id).sort()).toEqual([...moverIds].sort());
    const summary = await asUser(mover, "GET", `${FEED}summary/`);
    expect(summary.body.total_items).toBe(3);
  });

  it("a write during the copy waits, then answers 503 with Retry-After and changes nothing", async () => {
    const started = Date.now();
    const marked = await asUser(mover, "POST", `${FEED}mark-read/`, { activity_ids: [moverIds[0]] });
    expect(marked.status).toBe(503);
    expect(marked.headers.get("Retry-After")).toBe("2");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    const preferences = await asUser(mover, "PUT", `${FEED}preferences/`, { muted_types: ["fast_reminder"] });
    expect(preferences.status).toBe(503);
    const unread = await shardBinding(from)
      .prepare("SELECT count(*) AS n FROM feed_items WHERE user_id = ?1 AND is_read = 0")
      .bind(mover)
      .first<{ n: number }>();
    expect(unread?.n).toBe(3);
  });

  it("a write that waits lands on the new shard once the copy is switched, under the id the client holds", async () => {
    const pending = asUser(mover, "POST", `${FEED}mark-read/`, { activity_ids: [moverIds[1]] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await copyItemsByHand(mover, from, to);
    await setMoveState(mover, from, to, "switched");
    const marked = await pending;
    expect(marked.body).toEqual({ message: "Marked 1 items as read", updated_count: 1 });
    const read = await shardBinding(to)
      .prepare("SELECT count(*) AS n FROM feed_items WHERE user_id = ?1 AND public_id = ?2 AND is_read = 1")
      .bind(mover, moverIds[1])
      .first<{ n: number }>();
    expect(read?.n).toBe(1);
    // Reads follow the switch: the new shard's rows, the same ids.
    const page = await list(mover);
    expect(page.results.find((item) => item.id === moverIds[1])?.is_read).toBe(true);
    await deleteItemsByHand(mover, to);
  });

  it("the write fence aborts a whole batch for a user who started moving after it was routed", async () => {
    const db = shardBinding(from);
    await expect(
      db.batch([
        db.prepare("INSERT INTO user_write_fence (user_ids) VALUES (?1)").bind(JSON.stringify([stayer, mover])),
        db
          .prepare(
            "INSERT INTO feed_items (user_id, activity_type, title, created_at) VALUES (?1, 'milestone', 'x', 1)",
          )
          .bind(mover),
      ]),
    ).rejects.toThrow(/user moving to another shard/);
    expect(await itemsOn(from, mover)).toBe(3);
  });

  it("a queued event for a user being copied comes back later, and ends as exactly one item", async () => {
    const queues = watchedQueues();
    const message: FeedMessage = { v: 1, kind: "create_item", event: { user_id: mover, activity_type: "milestone" } };
    const first = await deliver([message], { on: queues.env, ids: ["moving-1"] });
    expect(first.explicitAcks).toEqual(["moving-1"]);
    expect(first.retryMessages).toEqual([]);
    // It came back as a new message whose event keeps the name and time this delivery gave it.
    const [again] = queues.sent.FEED_QUEUE as { kind: string; event: { event_id: string; occurred_at: string } }[];
    expect(again?.event.event_id).toBe("msg:moving-1:0");
    expect(Date.parse(again!.event.occurred_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(await itemsOn(from, mover)).toBe(3);

    await copyItemsByHand(mover, from, to);
    await setMoveState(mover, from, to, "switched");
    await deliver([again], { ids: ["moving-2"] });
    await deliver([again], { ids: ["moving-2"], attempts: 2 });
    // The first delivery, had it been redelivered too, names the event the same way.
    await deliver([message], { ids: ["moving-1"], attempts: 2 });
    expect(await itemsOn(to, mover)).toBe(4);
    expect(await itemsOn(from, mover)).toBe(3);
    await deleteItemsByHand(mover, to);
  });

  it("an internal request for a user being copied answers 503 for their events only; its retry completes it", async () => {
    const token = await staffToken();
    const body = {
      events: [
        { user_id: stayer, activity_type: "milestone", event_id: "mixed-stayer" },
        { user_id: mover, activity_type: "milestone", event_id: "mixed-mover" },
      ],
    };
    const first = await call("POST", "/api/internal/events/", { token, body });
    expect(first.status).toBe(503);
    expect(first.body.not_stored).toEqual([1]);
    await copyItemsByHand(mover, from, to);
    await setMoveState(mover, from, to, "switched");
    const retry = await call("POST", "/api/internal/events/", { token, body });
    expect(retry.status).toBe(201);
    expect(retry.body.created_count).toBe(1);
    expect(await itemsOn(to, mover)).toBe(4);
    await deleteItemsByHand(mover, to);
  });
});

describe("a reshard's routing costs nothing for users it does not move", () => {
  it("no move lookup outside a reshard, nor during one for users whose shard stays", async () => {
    // The router reads user_moves only for users whose shard differs between the two counts.
    const calls: string[] = [];
    const spy = new Proxy(env.SHARD_1!, {
      get(target, property) {
        if (property === "prepare")
          return (sql: string) => {
            calls.push(sql);
            return target.prepare(sql);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { shardsOf } = await import("../src/shards/router");
    let stayer = freshUser();
    while (shardIndexForUser(stayer, 4) !== 1 || shardIndexForUser(stayer, 5) !== 1) stayer += 1;
    const spied = { ...env, SHARD_1: spy };
    await (await shardsOf(spied)).forUser(stayer);
    await routeOver(4, 5);
    await (await shardsOf(spied)).forUser(stayer);
    expect(calls.filter((sql) => /user_moves/.test(sql))).toEqual([]);
    let mover = freshUser();
    while (shardIndexForUser(mover, 4) !== 1 || shardIndexForUser(mover, 5) === 1) mover += 1;
    await (await shardsOf(spied)).forUser(mover);
    expect(calls.filter((sql) => /user_moves/.test(sql))).toHaveLength(1);
    await routeOver(null);
  });
});
