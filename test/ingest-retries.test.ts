import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { counters, eventually, itemCount, recount, shardOf, userOnShard } from "./support/db";
import { asUser, BASE, freshUser, staffToken } from "./support/http";
import { strictQueue } from "./support/queues";

const EVENTS = "/api/internal/events/";

/** POSTs as staff through the Worker's fetch handler with `on` as its environment (async mode, wrapped queues). */
async function post(path: string, body: unknown, { key, on = env }: { key?: string; on?: typeof env } = {}) {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${await staffToken()}`,
    "Content-Type": "application/json",
  };
  if (key !== undefined) headers["Idempotency-Key"] = key;
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, { method: "POST", headers, body: JSON.stringify(body) }),
    on,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies field by field
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** Summary, list count, badge and counters of a user all say `items` (all unread). */
async function expectFeedOf(user: number, items: number) {
  const [summary, list, badge] = await Promise.all([
    asUser(user, "GET", "/api/events/activity-feed/summary/"),
    asUser(user, "GET", "/api/events/activity-feed/"),
    asUser(user, "GET", "/api/events/activity-feed/unread-count/"),
  ]);
  expect(await itemCount(user)).toBe(items);
  expect(summary.body.total_items).toBe(items);
  expect(summary.body.unread_count).toBe(items);
  expect(list.body.count).toBe(items);
  expect(badge.body.unread_count).toBe(items);
  expect(await counters(user)).toEqual(await recount(user));
}

/** Reads the badge once so that the user's count is cached and every write must update it. */
const primeBadge = (user: number) => asUser(user, "GET", "/api/events/activity-feed/unread-count/");

/** Makes one user's events fail on their shard, as an outage would; returns the repair. */
async function refuseEventsOf(user: number) {
  const shard = shardOf(user);
  const name = `refuse_events_${user}`;
  await shard
    .prepare(
      `CREATE TRIGGER ${name} BEFORE INSERT ON events WHEN NEW.user_id = ${user} BEGIN SELECT RAISE(ABORT, 'simulated outage'); END`,
    )
    .run();
  return () => shard.prepare(`DROP TRIGGER ${name}`).run();
}

describe("partial writes answer 503 (sync mode)", () => {
  it("without a key or event_ids, the 503 names the events to resend, and resending just those completes the request", async () => {
    const healthy = userOnShard(0, freshUser());
    const failing = userOnShard(3, freshUser());
    const events = [healthy, failing, healthy].map((user) => ({ user_id: user, activity_type: "milestone" }));
    const repair = await refuseEventsOf(failing);
    const first = await post(EVENTS, { events });
    expect(first.status).toBe(503);
    expect(first.body.not_stored).toEqual([1]);
    expect(first.body.detail).toContain("Resend only the events listed in not_stored");
    await repair();
    const rest = await post(EVENTS, { events: first.body.not_stored.map((position: number) => events[position]) });
    expect(rest.status).toBe(201);
    await expectFeedOf(healthy, 2);
    await expectFeedOf(failing, 1);
  });

  it("with an event_id on every event, the same request sent again completes it without doubles", async () => {
    const users = [1, 2].map((shard) => userOnShard(shard, freshUser()));
    for (const user of users) await primeBadge(user);
    const events = [0, 1, 2, 3].map((position) => ({
      user_id: users[position % 2],
      activity_type: "fast_join",
      event_id: `named-${position}`,
      data: { fast_id: position },
    }));
    const repair = await refuseEventsOf(users[1]!);
    const first = await post(EVENTS, { events });
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ stored_count: 2, not_stored: [1, 3], created_count: 2 });
    expect(first.body.detail).toContain("every event has an event_id");
    await repair();
    const retry = await post(EVENTS, { events });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ created_count: 2, duplicate_count: 2 });
    for (const user of users) await expectFeedOf(user, 2);
  });
});

/** Events whose data is long text in scripts of 2 and 3 bytes a character, each just under 16 KB as JSON. */
function nonLatinEvents(user: number, count: number) {
  const texts = ["Ἐν ἀρχῇ ἦν ὁ λόγος ", "በመጀመሪያ ቃል ነበረ ", "太初有道道与神同在 "];
  return Array.from({ length: count }, (_, position) => {
    const text = texts[position % 3]!;
    let body = "";
    while (new TextEncoder().encode(body + text).length < 16_000) body += text;
    return { user_id: user, activity_type: "event", data: { title: `Reading ${position}`, body } };
  });
}

describe("async mode: byte-exact queue messages", () => {
  const asyncEnv = (queue: Queue<never>) => ({ ...env, USE_ASYNC_ACTIVITY_FEED: "true", FEED_QUEUE: queue });

  it("20 events of long Greek, Ethiopic and Chinese text fit the queue's byte limits and all become items", async () => {
    const user = freshUser();
    await primeBadge(user);
    const queue = strictQueue(env.FEED_QUEUE as Queue<never>);
    const response = await post(EVENTS, { events: nonLatinEvents(user, 20) }, { on: asyncEnv(queue) });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body).toEqual({ status: "queued", queued_count: 20 });
    await eventually(async () => expect(await itemCount(user)).toBe(20));
    await expectFeedOf(user, 20);
  });

  it("the queue refusing the second sendBatch answers 503 naming the events not queued; resending those completes it", async () => {
    const user = freshUser();
    await primeBadge(user);
    const events = nonLatinEvents(user, 20);
    const first = await post(
      EVENTS,
      { events },
      { on: asyncEnv(strictQueue(env.FEED_QUEUE as Queue<never>, { refuse: [2] })) },
    );
    expect(first.status).toBe(503);
    expect(first.headers.get("Retry-After")).toBe("10");
    const queued = first.body.queued_count as number;
    expect(queued).toBeGreaterThan(0);
    expect(first.body.not_queued).toEqual(Array.from({ length: 20 - queued }, (_, n) => queued + n));
    const rest = first.body.not_queued.map((position: number) => events[position]);
    const retry = await post(EVENTS, { events: rest }, { on: asyncEnv(strictQueue(env.FEED_QUEUE as Queue<never>)) });
    expect(retry.status).toBe(202);
    await eventually(async () => expect(await itemCount(user)).toBe(20));
    await expectFeedOf(user, 20);
  });

  it("a request that fits one sendBatch is queued in one call", async () => {
    const user = freshUser();
    const queue = strictQueue(env.FEED_QUEUE as Queue<never>);
    const events = Array.from({ length: 500 }, (_, position) => ({
      user_id: user,
      activity_type: "milestone",
      event_id: `one-call-${position}`,
    }));
    expect((await post(EVENTS, { events }, { on: asyncEnv(queue) })).status).toBe(202);
    expect(queue.sendBatchCalls()).toBe(1);
    await eventually(async () => expect(await itemCount(user)).toBe(500));
  });
});
