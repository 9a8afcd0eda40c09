import { describe, expect, it } from "vitest";
import { cachedUnread, counters, type Recount, recount } from "./support/db";
import { asUser, freshUser, ingest } from "./support/http";
import {
  freshUserNotOnShard,
  freshUserOnShard,
  shardIndexOf,
  storedEventCount,
  storedItems,
} from "./support/shard-rows";

const FEED = "/api/events/activity-feed/";
const TYPES = [
  "event",
  "fast_start",
  "fast_join",
  "fast_leave",
  "devotional_available",
  "milestone",
  "fast_reminder",
  "devotional_reminder",
];

/** mulberry32: small, seedable, good enough to pick operations. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(values: readonly T[]): T => values[int(values.length)]!;
  return { next, int, pick };
}

interface ModelItem {
  user: number;
  type: string;
  read: boolean;
}

/** What the feed should hold, kept beside the real one. */
class FeedModel {
  readonly items = new Map<number, ModelItem>();
  private readonly seen = new Set<string>();

  /** Whether an event with this id is new for this user (and remembers it). */
  claim(user: number, eventId: string | undefined): boolean {
    if (eventId === undefined) return true;
    const key = `${user}/${eventId}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  unreadOf(user: number) {
    return [...this.items.entries()].filter(([, item]) => item.user === user && !item.read).map(([id]) => id);
  }

  /** The counts the feed should have, in the shape of ./support/db's counters(). */
  countersOf(user: number): Recount {
    const expected: Recount = { total: 0, unread: 0, perType: {} };
    for (const item of this.items.values()) {
      if (item.user !== user) continue;
      const counter = expected.perType[item.type] ?? { total: 0, unread: 0 };
      expected.perType[item.type] = counter;
      counter.total += 1;
      expected.total += 1;
      if (!item.read) {
        counter.unread += 1;
        expected.unread += 1;
      }
    }
    return expected;
  }
}

async function checkUser(model: FeedModel, user: number, label: string) {
  const expected = model.countersOf(user);
  const stored = await counters(user);
  // The invariant: trigger-kept counters equal a recount of the rows.
  expect(stored, `${label}: counters vs recount`).toEqual(await recount(user));
  expect(stored, `${label}: counters vs model`).toEqual(expected);

  const { total, unread } = expected;
  const summary = (await asUser(user, "GET", `${FEED}summary/`)).body;
  expect(summary, `${label}: summary`).toMatchObject({
    total_items: total,
    unread_count: unread,
    read_count: total - unread,
    activity_types: Object.fromEntries(Object.entries(expected.perType).map(([type, c]) => [type, c.total])),
  });
  const badge = await asUser(user, "GET", `${FEED}unread-count/`);
  expect(badge.body, `${label}: unread-count`).toEqual({ unread_count: unread });
  expect(await cachedUnread(user), `${label}: KV`).toBe(unread);
  const unreadListed = await asUser(user, "GET", `${FEED}?is_read=false&page_size=100`);
  expect(unreadListed.body.count, `${label}: unread listing count`).toBe(unread);
  expect(
    unreadListed.body.results.map((item: { id: number }) => item.id).sort(),
    `${label}: unread listing ids`,
  ).toEqual(model.unreadOf(user).sort());
}

describe("counters stay equal to a recount", () => {
  it.each([1, 7, 2024])("after a random sequence of ingests and mark-reads (seed %i)", async (seed) => {
    const random = prng(seed);
    const first = freshUser();
    // Two users share a shard (their rows sit side by side), two live elsewhere.
    const users = [first, freshUserOnShard(shardIndexOf(first)), freshUserNotOnShard(shardIndexOf(first)), freshUser()];
    const model = new FeedModel();
    let duplicatesSeen = 0;

    for (let step = 0; step < 45; step++) {
      const roll = random.next();
      const label = `seed ${seed} step ${step}`;
      if (roll < 0.5) {
        const events = Array.from({ length: 1 + random.int(6) }, () => {
          const user = random.pick(users);
          const event: Record<string, unknown> = {
            user_id: user,
            activity_type: random.pick(TYPES),
            occurred_at: new Date(Date.UTC(2024, random.int(12), 1 + random.int(28), random.int(24))).toISOString(),
          };
          // A small pool of event ids per user makes duplicates common.
          if (random.next() < 0.8) event.event_id = random.next() < 0.5 ? `e${random.int(10)}` : random.int(10) + 100;
          return event;
        });
        const fresh = events.filter((event) =>
          model.claim(event.user_id as number, event.event_id === undefined ? undefined : String(event.event_id)),
        );
        const response = await ingest(events);
        expect(response.created_count, label).toBe(fresh.length);
        expect(response.duplicate_count, label).toBe(events.length - fresh.length);
        duplicatesSeen += response.duplicate_count;
        for (const result of response.results)
          model.items.set(result.id, { user: result.user_id, type: result.activity_type, read: false });
        // The first event with an id wins; the created items are those events, type for type.
        expect(response.results.map((r) => `${r.user_id}/${r.activity_type}`).sort(), label).toEqual(
          fresh.map((e) => `${e.user_id}/${e.activity_type}`).sort(),
        );
      } else if (roll < 0.8) {
        const actor = random.pick(users);
        const known = [...model.items.keys()];
        const ids = Array.from({ length: 1 + random.int(5) }, () =>
          random.next() < 0.85 && known.length > 0
            ? random.pick(known)
            : 1024 * (900_000 + random.int(1000)) + random.int(4),
        );
        const expected = new Set(ids.filter((id) => model.items.get(id)?.user === actor && !model.items.get(id)!.read));
        const response = await asUser(actor, "POST", `${FEED}mark-read/`, { activity_ids: ids });
        expect(response.status, label).toBe(200);
        expect(response.body.updated_count, label).toBe(expected.size);
        for (const id of expected) model.items.get(id)!.read = true;
      } else if (roll < 0.95) {
        const actor = random.pick(users);
        const expected = model.unreadOf(actor);
        const response = await asUser(actor, "POST", `${FEED}mark-read/`, { mark_all: true });
        expect(response.body.updated_count, label).toBe(expected.length);
        for (const id of expected) model.items.get(id)!.read = true;
      } else {
        const user = random.pick(users);
        const badge = await asUser(user, "GET", `${FEED}unread-count/`);
        expect(badge.body.unread_count, label).toBe(model.unreadOf(user).length);
      }
    }

    // The sequence must have exercised what it claims to.
    expect(duplicatesSeen).toBeGreaterThan(0);
    expect([...model.items.values()].some((item) => item.read)).toBe(true);
    for (const user of users) await checkUser(model, user, `seed ${seed} user ${user}`);
  });
});

describe("event_id makes ingestion idempotent", () => {
  it("the same event_id sent in two requests creates one item; the second says duplicate_count", async () => {
    const user = freshUser();
    const event = { user_id: user, activity_type: "fast_join", event_id: "evt-1", data: { fast_name: "Great Lent" } };
    const first = await ingest(event);
    expect(first).toMatchObject({ created_count: 1, duplicate_count: 0 });
    const second = await ingest(event);
    expect(second).toEqual({ created_count: 0, duplicate_count: 1, results: [] });
    expect(await storedItems(user)).toHaveLength(1);
    expect(await storedEventCount(user)).toBe(1);
    expect((await asUser(user, "GET", FEED)).body.count).toBe(1);
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body.unread_count).toBe(1);
  });

  it("the same event_id twice in one request creates one item and counts one duplicate", async () => {
    const user = freshUser();
    const event = { user_id: user, activity_type: "milestone", event_id: "evt-2" };
    const response = await ingest([event, { ...event }]);
    expect(response.created_count).toBe(1);
    expect(response.duplicate_count).toBe(1);
    expect(response.results).toHaveLength(1);
    expect(await storedItems(user)).toHaveLength(1);
    expect(await counters(user)).toEqual({ total: 1, unread: 1, perType: { milestone: { total: 1, unread: 1 } } });
  });

  it("a redelivered event does not change the first item, even with other content", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join", event_id: "evt-3", title: "first" });
    const again = await ingest({ user_id: user, activity_type: "milestone", event_id: "evt-3", title: "second" });
    expect(again.duplicate_count).toBe(1);
    const items = await storedItems(user);
    expect(items.map((item) => [item.activity_type, item.title])).toEqual([["fast_join", "first"]]);
    expect(await counters(user)).toEqual({ total: 1, unread: 1, perType: { fast_join: { total: 1, unread: 1 } } });
  });

  it("a redelivered event does not resurrect an item as unread once it was read", async () => {
    const user = freshUser();
    const first = await ingest({ user_id: user, activity_type: "fast_join", event_id: "evt-4" });
    await asUser(user, "POST", `${FEED}mark-read/`, { activity_ids: [first.results[0]!.id] });
    const again = await ingest({ user_id: user, activity_type: "fast_join", event_id: "evt-4" });
    expect(again.created_count).toBe(0);
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body.unread_count).toBe(0);
  });

  it("a numeric event_id and its string form are the same event", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join", event_id: 42 });
    const again = await ingest({ user_id: user, activity_type: "fast_join", event_id: "42" });
    expect(again).toMatchObject({ created_count: 0, duplicate_count: 1 });
  });

  it("the same event_id for two users makes one item for each", async () => {
    const alice = freshUser();
    const bob = freshUserOnShard(shardIndexOf(alice));
    const response = await ingest([
      { user_id: alice, activity_type: "fast_start", event_id: "fast-9-start" },
      { user_id: bob, activity_type: "fast_start", event_id: "fast-9-start" },
    ]);
    expect(response).toMatchObject({ created_count: 2, duplicate_count: 0 });
    expect(await storedItems(alice)).toHaveLength(1);
    expect(await storedItems(bob)).toHaveLength(1);
  });

  it("events without an event_id are never treated as duplicates", async () => {
    const user = freshUser();
    const event = { user_id: user, activity_type: "fast_reminder", data: { fast_name: "Great Lent" } };
    const response = await ingest([event, event]);
    expect(response).toMatchObject({ created_count: 2, duplicate_count: 0 });
    const again = await ingest(event);
    expect(again.created_count).toBe(1);
    expect(await storedItems(user)).toHaveLength(3);
  });
});
