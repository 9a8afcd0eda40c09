import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { badgeTruth, cachedUnread, counters, SHARD_COUNT } from "./support/db";
import { asUser, freshUser, ingest } from "./support/http";
import {
  decodeItemId,
  encodeItemId,
  freshUserNotOnShard,
  freshUserOnShard,
  shardIndexOf,
  storedItems,
} from "./support/shard-rows";

/** The user's unread count according to D1's counters. */
const storedUnread = async (user: number) => (await counters(user)).unread;

const FEED = "/api/events/activity-feed/";

/** Creates `count` items of a type at distinct, increasing times; returns ids oldest first. */
async function createItems(user: number, count: number, type = "fast_join", startMinute = 0): Promise<number[]> {
  const created = await ingest(
    Array.from({ length: count }, (_, index) => ({
      user_id: user,
      activity_type: type,
      occurred_at: new Date(Date.UTC(2024, 6, 1, 0, startMinute + index)).toISOString(),
    })),
  );
  return (created.results as { id: number; created_at: string }[])
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
    .map((r) => r.id);
}

const markRead = (user: number, body: unknown) => asUser(user, "POST", `${FEED}mark-read/`, body);
const summary = (user: number) => asUser(user, "GET", `${FEED}summary/`);
const unreadCount = (user: number) => asUser(user, "GET", `${FEED}unread-count/`);

async function unreadIds(user: number): Promise<number[]> {
  const page = await asUser(user, "GET", `${FEED}?is_read=false&page_size=100`);
  return page.body.results.map((item: { id: number }) => item.id);
}

describe("summary", () => {
  it("counts totals, unread, read and items per type", async () => {
    const user = freshUser();
    const joins = await createItems(user, 3, "fast_join", 0);
    const milestones = await createItems(user, 2, "milestone", 10);
    await createItems(user, 1, "fast_reminder", 20);
    await markRead(user, { activity_ids: [joins[0], milestones[1]] });

    const response = await summary(user);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      total_items: 6,
      unread_count: 4,
      read_count: 2,
      activity_types: { fast_join: 3, milestone: 2, fast_reminder: 1 },
    });
    expect(Object.keys(response.body.activity_types).sort()).toEqual(["fast_join", "fast_reminder", "milestone"]);
  });

  it("recent_activity holds the 5 newest items of any read status, newest first", async () => {
    const user = freshUser();
    const ids = await createItems(user, 8);
    // The two newest are read: they still belong in recent_activity.
    await markRead(user, { activity_ids: [ids[7], ids[6]] });
    const response = await summary(user);
    const recent = response.body.recent_activity as { id: number; is_read: boolean }[];
    expect(recent.map((item) => item.id)).toEqual([ids[7], ids[6], ids[5], ids[4], ids[3]]);
    expect(recent.map((item) => item.is_read)).toEqual([true, true, false, false, false]);
    expect(recent[0]).toMatchObject({
      activity_type: "fast_join",
      activity_type_display: "Joined Fast",
      age_display: expect.any(String),
    });
  });

  it("recent_activity breaks created_at ties by id, as the list does", async () => {
    const user = freshUser();
    const at = "2024-07-01T00:00:00Z";
    const ids: number[] = [];
    for (let index = 0; index < 6; index++)
      ids.push((await ingest({ user_id: user, activity_type: "milestone", occurred_at: at })).results[0]!.id);
    const recent = (await summary(user)).body.recent_activity as { id: number }[];
    expect(recent.map((item) => item.id)).toEqual(ids.slice(1).reverse());
    const listed = await asUser(user, "GET", `${FEED}?page_size=5`);
    expect(listed.body.results.map((item: { id: number }) => item.id)).toEqual(recent.map((item) => item.id));
  });

  it("an empty feed summarises to zeros", async () => {
    const response = await summary(freshUser());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      total_items: 0,
      unread_count: 0,
      read_count: 0,
      unseen_count: 0,
      activity_types: {},
      recent_activity: [],
    });
  });

  it("agrees with the counters and with the listing", async () => {
    const user = freshUser();
    const ids = [
      ...(await createItems(user, 4, "fast_start")),
      ...(await createItems(user, 3, "devotional_reminder", 30)),
    ];
    await markRead(user, { activity_ids: ids.filter((_, index) => index % 3 === 0) });
    const body = (await summary(user)).body;
    const stored = await counters(user);
    expect(body.total_items).toBe(stored.total);
    expect(body.unread_count).toBe(stored.unread);
    expect(body.activity_types).toEqual(
      Object.fromEntries(Object.entries(stored.perType).map(([type, c]) => [type, c.total])),
    );
    const unreadListed = await asUser(user, "GET", `${FEED}?is_read=false`);
    expect(unreadListed.body.count).toBe(body.unread_count);
  });

  it("the trailing slash is optional", async () => {
    const user = freshUser();
    await createItems(user, 2);
    const response = await asUser(user, "GET", "/api/events/activity-feed/summary");
    expect(response.status).toBe(200);
    expect(response.body.total_items).toBe(2);
  });
});

describe("mark-read", () => {
  it("marks the given items read and answers how many changed", async () => {
    const user = freshUser();
    const ids = await createItems(user, 5);
    const before = Date.now();
    const response = await markRead(user, { activity_ids: [ids[0], ids[2], ids[4]] });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Marked 3 items as read", updated_count: 3 });
    expect(await unreadIds(user)).toEqual([ids[3], ids[1]]);
    const rows = await storedItems(user);
    for (const row of rows) {
      const marked = [ids[0], ids[2], ids[4]].includes(encodeItemId(shardIndexOf(user), row.id));
      expect(row.is_read).toBe(marked ? 1 : 0);
      if (marked) expect(row.read_at).toBeGreaterThanOrEqual(before - 5_000);
      else expect(row.read_at).toBeNull();
    }
  });

  it("mark_all marks every unread item and counts only those that were unread", async () => {
    const user = freshUser();
    const ids = await createItems(user, 6);
    await markRead(user, { activity_ids: [ids[1], ids[3]] });
    const response = await markRead(user, { mark_all: true });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Marked 4 items as read", updated_count: 4 });
    expect(await unreadIds(user)).toEqual([]);
    const again = await markRead(user, { mark_all: true });
    expect(again.body).toEqual({ message: "Marked 0 items as read", updated_count: 0 });
  });

  it("mark_all on an empty feed marks nothing", async () => {
    const response = await markRead(freshUser(), { mark_all: true });
    expect(response.status).toBe(200);
    expect(response.body.updated_count).toBe(0);
  });

  it("does not count items that were already read, and keeps their read_at", async () => {
    const user = freshUser();
    const ids = await createItems(user, 3);
    await markRead(user, { activity_ids: [ids[0]] });
    const [firstRead] = (await storedItems(user)).filter((row) => row.is_read === 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await markRead(user, { activity_ids: [ids[0], ids[1]] });
    expect(response.body.updated_count).toBe(1);
    const again = (await storedItems(user)).find((row) => row.id === firstRead!.id);
    expect(again!.read_at).toBe(firstRead!.read_at);
    await markRead(user, { mark_all: true });
    expect((await storedItems(user)).find((row) => row.id === firstRead!.id)!.read_at).toBe(firstRead!.read_at);
  });

  it("counts an id given twice once", async () => {
    const user = freshUser();
    const ids = await createItems(user, 2);
    const response = await markRead(user, { activity_ids: [ids[0], ids[0], ids[0]] });
    expect(response.body.updated_count).toBe(1);
  });

  it("mark-read ignores ids that belong to another user on the same shard, and leaves them unread", async () => {
    const user = freshUser();
    const neighbour = freshUserOnShard(shardIndexOf(user));
    const mine = await createItems(user, 2);
    const theirs = await createItems(neighbour, 3);
    const response = await markRead(user, { activity_ids: [...theirs, mine[0]] });
    expect(response.body.updated_count).toBe(1);
    expect((await unreadIds(neighbour)).sort()).toEqual([...theirs].sort());
    expect((await storedItems(neighbour)).every((row) => row.is_read === 0 && row.read_at === null)).toBe(true);
    expect(await storedUnread(neighbour)).toBe(3);
  });

  it("mark-read ignores ids that belong to a user on another shard", async () => {
    const user = freshUser();
    const stranger = freshUserNotOnShard(shardIndexOf(user));
    await createItems(user, 1);
    const theirs = await createItems(stranger, 2);
    const response = await markRead(user, { activity_ids: theirs });
    expect(response.body.updated_count).toBe(0);
    expect(await storedUnread(stranger)).toBe(2);
    expect(await unreadIds(stranger)).toHaveLength(2);
  });

  it("mark_all leaves other users' items unread", async () => {
    const user = freshUser();
    const neighbour = freshUserOnShard(shardIndexOf(user));
    await createItems(user, 2);
    await createItems(neighbour, 2);
    await markRead(user, { mark_all: true });
    expect(await storedUnread(neighbour)).toBe(2);
    expect(await unreadIds(neighbour)).toHaveLength(2);
  });

  it("an id naming another shard does not mark the caller's item with the same local id", async () => {
    const user = freshUser();
    const [id] = await createItems(user, 1);
    const { shardIndex, localId } = decodeItemId(id!);
    const elsewhere = Array.from({ length: SHARD_COUNT }, (_, index) => index)
      .filter((index) => index !== shardIndex)
      .map((index) => encodeItemId(index, localId));
    // Also shards that do not exist: the id space allows 1024.
    elsewhere.push(encodeItemId(SHARD_COUNT, localId), encodeItemId(1023, localId));
    const response = await markRead(user, { activity_ids: elsewhere });
    expect(response.status).toBe(200);
    expect(response.body.updated_count).toBe(0);
    expect(await unreadIds(user)).toEqual([id]);
  });

  it("unknown ids are ignored without error", async () => {
    const user = freshUser();
    const [id] = await createItems(user, 1);
    const unknown = [1, 1023, encodeItemId(shardIndexOf(user), 987_654_321), Number.MAX_SAFE_INTEGER];
    const response = await markRead(user, { activity_ids: unknown });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Marked 0 items as read", updated_count: 0 });
    expect(await unreadIds(user)).toEqual([id]);
  });

  it("the trailing slash is optional", async () => {
    const user = freshUser();
    const [id] = await createItems(user, 1);
    const response = await asUser(user, "POST", "/api/events/activity-feed/mark-read", { activity_ids: [id] });
    expect(response.status).toBe(200);
    expect(response.body.updated_count).toBe(1);
  });
});

describe("unread-count badge", () => {
  async function expectBadgeMatchesD1(user: number) {
    const truth = await storedUnread(user);
    const listed = (await asUser(user, "GET", `${FEED}?is_read=false`)).body.count;
    expect(listed).toBe(truth);
    expect(await cachedUnread(user)).toBe(truth);
    const response = await unreadCount(user);
    expect(response.status).toBe(200);
    // Fresh items are unseen until read, so in these tests unseen follows unread.
    expect(response.body).toEqual(await badgeTruth(user));
    expect(response.body.unread_count).toBe(truth);
    return response;
  }

  it("a user never seen is a miss, then a hit, both 0", async () => {
    const user = freshUser();
    const first = await unreadCount(user);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ unread_count: 0, unseen_count: 0 });
    expect(first.headers.get("X-Cache")).toBe("miss");
    expect(await cachedUnread(user)).toBe(0);
    const second = await unreadCount(user);
    expect(second.headers.get("X-Cache")).toBe("hit");
    expect(second.body).toEqual({ unread_count: 0, unseen_count: 0 });
  });

  it("is private and not stored by shared caches", async () => {
    const response = await unreadCount(freshUser());
    expect(response.headers.get("Cache-Control")).toBe("private, no-store");
  });

  it("equals D1 after ingestion, served from the cache the write filled", async () => {
    const user = freshUser();
    await unreadCount(user); // fill the cache with 0 first: the write must replace it
    await createItems(user, 4);
    const response = await expectBadgeMatchesD1(user);
    expect(response.body.unread_count).toBe(4);
    expect(response.headers.get("X-Cache")).toBe("hit");
  });

  it("equals D1 after mark-read by ids", async () => {
    const user = freshUser();
    const ids = await createItems(user, 5);
    await unreadCount(user);
    await markRead(user, { activity_ids: [ids[0], ids[1]] });
    const response = await expectBadgeMatchesD1(user);
    expect(response.body.unread_count).toBe(3);
    expect(response.headers.get("X-Cache")).toBe("hit");
  });

  it("equals D1 after mark_all", async () => {
    const user = freshUser();
    await createItems(user, 3);
    await unreadCount(user);
    await markRead(user, { mark_all: true });
    const response = await expectBadgeMatchesD1(user);
    expect(response.body.unread_count).toBe(0);
    expect(response.headers.get("X-Cache")).toBe("hit");
  });

  it("equals D1 for every user of a batch that spans shards", async () => {
    const users = Array.from({ length: SHARD_COUNT }, (_, index) => freshUserOnShard(index));
    await ingest(
      users.flatMap((user, index) =>
        Array.from({ length: index + 1 }, () => ({ user_id: user, activity_type: "milestone" })),
      ),
    );
    for (const [index, user] of users.entries()) {
      const response = await expectBadgeMatchesD1(user);
      expect(response.body.unread_count).toBe(index + 1);
    }
  });

  it("equals D1 after a duplicate-only ingestion", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join", event_id: "dup-1" });
    const again = await ingest({ user_id: user, activity_type: "fast_join", event_id: "dup-1" });
    expect(again.duplicate_count).toBe(1);
    const response = await expectBadgeMatchesD1(user);
    expect(response.body.unread_count).toBe(1);
  });

  it("a cache miss reads D1 and fills the cache", async () => {
    const user = freshUser();
    const ids = await createItems(user, 4);
    await markRead(user, { activity_ids: [ids[0]] });
    await env.UNREAD_CACHE.delete(`unread:${user}`);
    const miss = await unreadCount(user);
    expect(miss.headers.get("X-Cache")).toBe("miss");
    expect(miss.body).toEqual({ unread_count: 3, unseen_count: 3 });
    expect(await cachedUnread(user)).toBe(3);
    const hit = await unreadCount(user);
    expect(hit.headers.get("X-Cache")).toBe("hit");
    expect(hit.body).toEqual({ unread_count: 3, unseen_count: 3 });
  });

  it("the trailing slash is optional", async () => {
    const response = await asUser(freshUser(), "GET", "/api/events/activity-feed/unread-count");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ unread_count: 0, unseen_count: 0 });
  });
});
