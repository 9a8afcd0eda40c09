import { describe, expect, it } from "vitest";
import { cachedBadge, counters, type Recount, recount } from "./support/db";
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
  seen: boolean;
  archived: boolean;
  createdAt: number;
}

type Scope = "exclude" | "include" | "only";
const inScope = (item: ModelItem, scope: Scope) =>
  scope === "include" ? true : scope === "only" ? item.archived : !item.archived;

/** What the feed should hold, kept beside the real one. */
class FeedModel {
  readonly items = new Map<number, ModelItem>();
  private readonly seenEvents = new Set<string>();

  /** Whether an event with this id is new for this user (and remembers it). */
  claim(user: number, eventId: string | undefined): boolean {
    if (eventId === undefined) return true;
    const key = `${user}/${eventId}`;
    if (this.seenEvents.has(key)) return false;
    this.seenEvents.add(key);
    return true;
  }

  idsOf(user: number, match: (item: ModelItem) => boolean) {
    return [...this.items.entries()].filter(([, item]) => item.user === user && match(item)).map(([id]) => id);
  }

  unreadOf(user: number) {
    return this.idsOf(user, (item) => !item.read && !item.archived);
  }

  /** The counts the feed should have, in the shape of ./support/db's counters(). */
  countersOf(user: number): Recount {
    const zero = () => ({ total: 0, unread: 0, unseen: 0, archived: 0, archivedUnread: 0, archivedUnseen: 0 });
    const expected: Recount = { ...zero(), perType: {} };
    for (const item of this.items.values()) {
      if (item.user !== user) continue;
      const counter = expected.perType[item.type] ?? zero();
      expected.perType[item.type] = counter;
      for (const counts of [counter, expected]) {
        counts.total += 1;
        if (!item.read) counts.unread += 1;
        if (!item.seen) counts.unseen += 1;
        if (item.archived) counts.archived += 1;
        if (item.archived && !item.read) counts.archivedUnread += 1;
        if (item.archived && !item.seen) counts.archivedUnseen += 1;
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
  // Reading implies seeing: no item is read but unseen.
  expect(
    model.idsOf(user, (item) => item.read && !item.seen),
    `${label}: read but unseen`,
  ).toEqual([]);

  const inbox = [...model.items.values()].filter((item) => item.user === user && !item.archived);
  const total = inbox.length;
  const unread = inbox.filter((item) => !item.read).length;
  const unseen = inbox.filter((item) => !item.seen).length;
  const perType: Record<string, number> = {};
  for (const item of inbox) perType[item.type] = (perType[item.type] ?? 0) + 1;
  const summary = (await asUser(user, "GET", `${FEED}summary/`)).body;
  expect(summary, `${label}: summary`).toMatchObject({
    total_items: total,
    unread_count: unread,
    read_count: total - unread,
    unseen_count: unseen,
    activity_types: perType,
  });
  const badge = await asUser(user, "GET", `${FEED}unread-count/`);
  expect(badge.body, `${label}: unread-count`).toEqual({ unread_count: unread, unseen_count: unseen });
  expect(await cachedBadge(user), `${label}: KV`).toEqual({ unread, unseen });
  const unreadListed = await asUser(user, "GET", `${FEED}?is_read=false&page_size=100`);
  expect(unreadListed.body.count, `${label}: unread listing count`).toBe(unread);
  expect(
    unreadListed.body.results.map((item: { id: number }) => item.id).sort(),
    `${label}: unread listing ids`,
  ).toEqual(model.unreadOf(user).sort());

  // Every filter's count (from the counters) equals the items it lists.
  for (const scope of ["exclude", "include", "only"] as const) {
    for (const read of [undefined, true, false]) {
      for (const seen of [undefined, true, false]) {
        const query = new URLSearchParams({ archived: scope, page_size: "100" });
        if (read !== undefined) query.set("is_read", String(read));
        if (seen !== undefined) query.set("is_seen", String(seen));
        const listed = (await asUser(user, "GET", `${FEED}?${query}`)).body;
        const expectedIds = model
          .idsOf(
            user,
            (item) =>
              inScope(item, scope) &&
              (read === undefined || item.read === read) &&
              (seen === undefined || item.seen === seen),
          )
          .sort();
        expect(listed.count, `${label}: count of ${query}`).toBe(expectedIds.length);
        expect(listed.results.map((item: { id: number }) => item.id).sort(), `${label}: ${query}`).toEqual(expectedIds);
      }
    }
  }
}

/** A few ids of the user's items (and some that are not theirs, or nobody's). */
function someIds(random: ReturnType<typeof prng>, model: FeedModel) {
  const known = [...model.items.keys()];
  return Array.from({ length: 1 + random.int(5) }, () =>
    random.next() < 0.85 && known.length > 0 ? random.pick(known) : 1024 * (900_000 + random.int(1000)) + random.int(4),
  );
}

const ACTIONS = {
  read: {
    path: "mark-read",
    applies: (item: ModelItem) => !item.read,
    apply: (item: ModelItem) => Object.assign(item, { read: true, seen: true }),
  },
  seen: {
    path: "mark-seen",
    applies: (item: ModelItem) => !item.seen,
    apply: (item: ModelItem) => Object.assign(item, { seen: true }),
  },
  unread: {
    path: "mark-unread",
    applies: (item: ModelItem) => item.read,
    apply: (item: ModelItem) => Object.assign(item, { read: false }),
  },
  archive: {
    path: "archive",
    applies: (item: ModelItem) => !item.archived,
    apply: (item: ModelItem) => Object.assign(item, { archived: true }),
  },
  unarchive: {
    path: "unarchive",
    applies: (item: ModelItem) => item.archived,
    apply: (item: ModelItem) => Object.assign(item, { archived: false }),
  },
} as const;

describe("counters stay equal to a recount", () => {
  it.each([1, 7, 2024])("after a random sequence of ingests and every state action (seed %i)", async (seed) => {
    const random = prng(seed);
    const first = freshUser();
    // Two users share a shard (their rows sit side by side), two live elsewhere.
    const users = [first, freshUserOnShard(shardIndexOf(first)), freshUserNotOnShard(shardIndexOf(first)), freshUser()];
    const model = new FeedModel();
    let duplicatesSeen = 0;
    const used = new Set<string>();

    for (let step = 0; step < 100; step++) {
      const roll = random.next();
      const label = `seed ${seed} step ${step}`;
      if (roll < 0.35) {
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
        for (const result of response.results) {
          model.items.set(result.id, {
            user: result.user_id,
            type: result.activity_type,
            read: false,
            seen: false,
            archived: false,
            createdAt: Date.parse(result.created_at),
          });
        }
        // The first event with an id wins; the created items are those events, type for type.
        expect(response.results.map((r) => `${r.user_id}/${r.activity_type}`).sort(), label).toEqual(
          fresh.map((e) => `${e.user_id}/${e.activity_type}`).sort(),
        );
        continue;
      }
      const actor = random.pick(users);
      if (roll < 0.9) {
        // One of the five actions, by ids or (where it exists) for the whole inbox, bounded or not.
        const name = random.pick(Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]);
        const action = ACTIONS[name];
        const bulk = (name === "read" || name === "seen" || name === "archive") && random.next() < 0.35;
        let body: Record<string, unknown>;
        let selected: number[];
        if (bulk) {
          body = { mark_all: true };
          let match = (item: ModelItem) => !item.archived;
          if (random.next() < 0.4) {
            const type = random.pick(TYPES);
            body.activity_type = random.next() < 0.5 ? type : [type];
            const previous = match;
            match = (item) => previous(item) && item.type === type;
          }
          if (random.next() < 0.4) {
            const before = Date.UTC(2024, random.int(12), 1 + random.int(28));
            body.before = new Date(before).toISOString();
            const previous = match;
            match = (item) => previous(item) && item.createdAt <= before;
          }
          selected = model.idsOf(actor, (item) => match(item) && action.applies(item));
          used.add(`${name}:all`);
        } else {
          const ids = someIds(random, model);
          body = { activity_ids: ids };
          selected = [
            ...new Set(ids.filter((id) => model.items.get(id)?.user === actor && action.applies(model.items.get(id)!))),
          ];
          used.add(name);
        }
        const response = await asUser(actor, "POST", `${FEED}${action.path}/`, body);
        expect(response.status, `${label}: ${name} ${JSON.stringify(body)}`).toBe(200);
        expect(response.body.updated_count, `${label}: ${name} ${JSON.stringify(body)}`).toBe(selected.length);
        for (const id of selected) action.apply(model.items.get(id)!);
      } else {
        const badge = await asUser(actor, "GET", `${FEED}unread-count/`);
        expect(badge.body.unread_count, label).toBe(model.unreadOf(actor).length);
        expect(badge.body.unseen_count, label).toBe(model.idsOf(actor, (item) => !item.seen && !item.archived).length);
      }
    }

    // The sequence must have exercised what it claims to.
    expect(duplicatesSeen).toBeGreaterThan(0);
    expect([...used].sort()).toEqual(
      ["archive", "archive:all", "read", "read:all", "seen", "seen:all", "unarchive", "unread"].sort(),
    );
    expect([...model.items.values()].some((item) => item.archived)).toBe(true);
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
    expect(second).toEqual({ created_count: 0, duplicate_count: 1, muted_count: 0, results: [] });
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
    expect(await counters(user)).toMatchObject({
      total: 1,
      unread: 1,
      perType: { milestone: { total: 1, unread: 1 } },
    });
  });

  it("a redelivered event does not change the first item, even with other content", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join", event_id: "evt-3", title: "first" });
    const again = await ingest({ user_id: user, activity_type: "milestone", event_id: "evt-3", title: "second" });
    expect(again.duplicate_count).toBe(1);
    const items = await storedItems(user);
    expect(items.map((item) => [item.activity_type, item.title])).toEqual([["fast_join", "first"]]);
    expect(await counters(user)).toMatchObject({
      total: 1,
      unread: 1,
      perType: { fast_join: { total: 1, unread: 1 } },
    });
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
