import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { counters, eventually, itemCount, joinedAFastBefore, recount, shardOf, userOnShard } from "./support/db";
import { asUser, BASE, call, freshUser, ingest, staffToken } from "./support/http";
import { strictQueue } from "./support/queues";

const EVENTS = "/api/internal/events/";
const REMINDERS = "/api/internal/reminders/";

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

const newKey = () => `key-${crypto.randomUUID()}`;

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

/** Makes inserts of one user's rows into `table` fail on their shard, as an outage would; returns the repair. */
async function refuseInserts(table: "events" | "feed_items", user: number) {
  const shard = shardOf(user);
  const name = `refuse_${table}_${user}`;
  await shard
    .prepare(
      `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN NEW.user_id = ${user} BEGIN SELECT RAISE(ABORT, 'simulated outage'); END`,
    )
    .run();
  return () => shard.prepare(`DROP TRIGGER ${name}`).run();
}
const refuseEventsOf = (user: number) => refuseInserts("events", user);

describe("Idempotency-Key on POST /api/internal/events/ (sync mode)", () => {
  it("the same key and body replays the first answer and creates nothing more", async () => {
    const user = freshUser();
    const body = { events: [0, 1, 2].map(() => ({ user_id: user, activity_type: "milestone", data: { fast_id: 4 } })) };
    const key = newKey();
    const first = await post(EVENTS, body, { key });
    expect(first.status).toBe(201);
    expect(first.body.created_count).toBe(3);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const again = await post(EVENTS, body, { key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    await expectFeedOf(user, 3);
  });

  it("the same body in another key order and spacing is the same request", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
    const key = newKey();
    await post(EVENTS, { user_id: user, activity_type: "fast_join", data: { fast_id: 1, fast_name: "A" } }, { key });
    const reordered = await post(
      EVENTS,
      { data: { fast_name: "A", fast_id: 1 }, activity_type: "fast_join", user_id: user },
      { key },
    );
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await itemCount(user)).toBe(1);
  });

  it("the same key with another body is 422 and writes nothing", async () => {
    const user = freshUser();
    const key = newKey();
    await post(EVENTS, { user_id: user, activity_type: "fast_join" }, { key });
    const other = await post(EVENTS, { user_id: user, activity_type: "fast_leave" }, { key });
    expect(other.status).toBe(422);
    expect(other.body).toEqual({
      detail: "This Idempotency-Key was already used with a different request body. Send a new key for a new request.",
    });
    expect(await itemCount(user)).toBe(1);
  });

  it("another key is another request; without a key a repeated request creates its events again", async () => {
    const user = freshUser();
    const body = { user_id: user, activity_type: "milestone" };
    await post(EVENTS, body, { key: newKey() });
    await post(EVENTS, body, { key: newKey() });
    expect(await itemCount(user)).toBe(2);
    await post(EVENTS, body);
    await post(EVENTS, body);
    expect(await itemCount(user)).toBe(4);
  });

  it("keys are kept per endpoint: the same key on reminders is a request of its own", async () => {
    const key = newKey();
    expect((await post(EVENTS, { user_id: freshUser(), activity_type: "milestone" }, { key })).status).toBe(201);
    const reminder = await post(REMINDERS, { kind: "fast_reminder", fast_id: 900_000_000 + freshUser() }, { key });
    expect(reminder.status).toBe(201);
  });

  it.each([
    ["an empty key", ""],
    ["a key over 255 bytes", "k".repeat(256)],
  ])("%s is 400 naming the header and writes nothing", async (_name, key) => {
    const user = freshUser();
    const response = await call("POST", EVENTS, {
      token: await staffToken(),
      body: { user_id: user, activity_type: "milestone" },
      headers: { "Idempotency-Key": key },
    });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body)).toEqual(["idempotency-key"]);
    expect(await itemCount(user)).toBe(0);
  });

  it("a shard failing mid-request answers 503 saying what was stored; the retry with the key completes it exactly", async () => {
    const healthy = [0, 1].map((shard) => userOnShard(shard, freshUser()));
    const failing = userOnShard(2, freshUser());
    const users = [...healthy, failing];
    for (const user of users) await primeBadge(user);
    // Positions 2, 5, 8 belong to the failing user; none of the events has an event_id.
    const events = Array.from({ length: 9 }, (_, position) => ({
      user_id: users[position % 3],
      activity_type: "fast_start",
      data: { fast_id: position, fast_name: `Fast ${position}` },
    }));
    const repair = await refuseEventsOf(failing);
    const key = newKey();
    const first = await post(EVENTS, { events }, { key });
    expect(first.status).toBe(503);
    expect(first.headers.get("Retry-After")).toBe("10");
    expect(first.body).toMatchObject({ stored_count: 6, not_stored: [2, 5, 8], created_count: 6, duplicate_count: 0 });
    expect(first.body.detail).toContain("same Idempotency-Key");
    expect(await itemCount(failing)).toBe(0);
    for (const user of healthy) expect(await itemCount(user)).toBe(3);

    await repair();
    const retry = await post(EVENTS, { events }, { key });
    expect(retry.status).toBe(201);
    // The answer one successful request would have given: all nine created.
    expect(retry.body.created_count).toBe(9);
    expect(retry.body.duplicate_count).toBe(0);
    expect(new Set(retry.body.results.map((item: { id: number }) => item.id)).size).toBe(9);
    for (const user of users) await expectFeedOf(user, 3);
    const replay = await post(EVENTS, { events }, { key });
    expect(replay.body).toEqual(retry.body);
    for (const user of users) expect(await itemCount(user)).toBe(3);
  });
});

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
    await joinedAFastBefore(...users);
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

describe("async mode: byte-exact queue messages and Idempotency-Key", () => {
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

  it("the queue refusing the second sendBatch answers 503 with what was queued; the retry with the key ends with exactly the request's items", async () => {
    const user = freshUser();
    await primeBadge(user);
    const events = nonLatinEvents(user, 20);
    const key = newKey();
    const failing = strictQueue(env.FEED_QUEUE as Queue<never>, { refuse: [2] });
    const first = await post(EVENTS, { events }, { key, on: asyncEnv(failing) });
    expect(first.status).toBe(503);
    expect(first.headers.get("Retry-After")).toBe("10");
    const queued = first.body.queued_count as number;
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(20);
    expect(first.body.not_queued).toEqual(Array.from({ length: 20 - queued }, (_, n) => queued + n));
    expect(first.body.detail).toContain("same Idempotency-Key");
    await eventually(async () => expect(await itemCount(user)).toBe(queued));

    const working = strictQueue(env.FEED_QUEUE as Queue<never>);
    const retry = await post(EVENTS, { events }, { key, on: asyncEnv(working) });
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ status: "queued", queued_count: 20 });
    await eventually(async () => expect(await itemCount(user)).toBe(20));
    // Redelivered first part included: give the consumer time to show a double, if it made one.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expectFeedOf(user, 20);

    const replay = await post(EVENTS, { events }, { key, on: asyncEnv(working) });
    expect(replay.body).toEqual(retry.body);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(working.sendBatchCalls()).toBeGreaterThan(0);
    const callsBefore = working.sendBatchCalls();
    await post(EVENTS, { events }, { key, on: asyncEnv(working) });
    expect(working.sendBatchCalls()).toBe(callsBefore);
  });

  it("a sync attempt and an async retry under one key make the same items", async () => {
    const user = freshUser();
    const failing = await refuseEventsOf(user);
    const body = { events: [0, 1].map(() => ({ user_id: user, activity_type: "milestone" })) };
    const key = newKey();
    expect((await post(EVENTS, body, { key })).status).toBe(503);
    await failing();
    const retry = await post(EVENTS, body, { key, on: asyncEnv(strictQueue(env.FEED_QUEUE as Queue<never>)) });
    expect(retry.status).toBe(202);
    await eventually(async () => expect(await itemCount(user)).toBe(2));
    expect((await post(EVENTS, body, { key })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await itemCount(user)).toBe(2);
  });
});

describe("Idempotency-Key on POST /api/internal/reminders/", () => {
  async function participants(shards: number[], fastId: number) {
    const users = shards.map((shard) => userOnShard(shard, freshUser()));
    await joinedAFastBefore(...users); // their first-fast milestones are not what these tests count
    await ingest(users.map((user) => ({ user_id: user, activity_type: "fast_join", data: { fast_id: fastId } })));
    return users;
  }

  it("the same key and body replays the answer (same job); another body is 422", async () => {
    const fastId = 130_000 + Math.floor(Math.random() * 1_000_000);
    const users = await participants([0, 1], fastId);
    const key = newKey();
    const first = await post(REMINDERS, { kind: "fast_reminder", fast_id: fastId }, { key });
    expect(first.status).toBe(201);
    expect(first.body.created_count).toBe(2);
    const again = await post(REMINDERS, { kind: "fast_reminder", fast_id: fastId }, { key });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const other = await post(REMINDERS, { kind: "fast_reminder", fast_id: fastId + 1 }, { key });
    expect(other.status).toBe(422);
    for (const user of users) expect(await itemCount(user, "activity_type = 'fast_reminder'")).toBe(1);
  });

  it("a shard failing mid-fan-out answers 503; the retry with the key reminds the rest, nobody twice", async () => {
    const fastId = 140_000 + Math.floor(Math.random() * 1_000_000);
    const users = await participants([0, 1, 2, 3], fastId);
    const failing = users[2]!;
    const repair = await refuseInserts("feed_items", failing);
    const key = newKey();
    const first = await post(REMINDERS, { kind: "fast_reminder", fast_id: fastId }, { key });
    expect(first.status).toBe(503);
    expect(first.headers.get("Retry-After")).toBe("10");
    expect(await itemCount(failing, "activity_type = 'fast_reminder'")).toBe(0);
    await repair();
    const retry = await post(REMINDERS, { kind: "fast_reminder", fast_id: fastId }, { key });
    expect(retry.status).toBe(201);
    for (const user of users) {
      expect(await itemCount(user, "activity_type = 'fast_reminder'")).toBe(1);
      await expectFeedOf(user, 2);
    }
  });
});
