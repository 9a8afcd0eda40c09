import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { badgeTruth, cachedBadge, counters, recount, SHARD_COUNT, shardOf } from "./support/db";
import { FEED, follow, type Item, ids, list, newestFirst, type Page, type Spec, seed } from "./support/feed";
import { asUser, call, freshUser } from "./support/http";
import { encodeItemId, freshUserNotOnShard, freshUserOnShard, shardIndexOf } from "./support/shard-rows";
import { SECOND } from "./support/time";

/** Inbox states (issue 14): seen, read, unread, archived, and the bounded mark_all. */

const act = (user: number, path: string, body: unknown) => asUser(user, "POST", `${FEED}${path}/`, body);
const summary = async (user: number) => (await asUser(user, "GET", `${FEED}summary/`)).body;
const badge = async (user: number) => (await asUser(user, "GET", `${FEED}unread-count/`)).body;

/** 2024-07-01 00:MM UTC, the times the items of these tests are created at. */
const at = (minute: number) => new Date(Date.UTC(2024, 6, 1, 0, minute)).toISOString();

/** Every item of the user, archived or not, by id. */
async function itemsById(user: number): Promise<Map<number, Item>> {
  const page = await list(user, { archived: "include", page_size: "100" });
  return new Map(page.results.map((item) => [item.id, item]));
}

/** `count` unread, unseen items of a type a minute apart (no milestones: nothing here is a fast_join). */
async function items(user: number, count: number, type = "fast_start", startMinute = 0): Promise<number[]> {
  const specs: Record<string, Spec> = {};
  for (let index = 0; index < count; index++) specs[`${type} ${index}`] = { type, at: at(startMinute + index) };
  const idOf = await seed(user, specs);
  return Object.keys(specs).map((key) => idOf[key]!);
}

const expectCountersExact = async (user: number) => expect(await counters(user)).toEqual(await recount(user));

/** A timestamp the server just wrote: an ISO string within the last minute. */
const justNow = (value: unknown) => {
  expect(typeof value).toBe("string");
  expect(Date.now() - Date.parse(value as string)).toBeLessThan(60 * SECOND);
};

describe("mark-seen", () => {
  it("marks the given items seen, sets seen_at, and counts only the items that changed", async () => {
    const user = freshUser();
    const [a, b, c] = await items(user, 3);
    const fresh = await itemsById(user);
    expect([...fresh.values()].map((item) => [item.is_seen, item.seen_at])).toEqual([
      [false, null],
      [false, null],
      [false, null],
    ]);
    expect(await badge(user)).toEqual({ unread_count: 3, unseen_count: 3 });

    const first = await act(user, "mark-seen", { activity_ids: [a, b] });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ message: "Marked 2 items as seen", updated_count: 2 });
    const afterFirst = await itemsById(user);
    for (const id of [a!, b!]) {
      expect(afterFirst.get(id)).toMatchObject({ is_seen: true, is_read: false, read_at: null });
      justNow(afterFirst.get(id)!.seen_at);
    }
    expect(afterFirst.get(c!)).toMatchObject({ is_seen: false, seen_at: null });
    expect(await summary(user)).toMatchObject({ total_items: 3, unread_count: 3, unseen_count: 1 });
    expect(await badge(user)).toEqual({ unread_count: 3, unseen_count: 1 });
    expect(await cachedBadge(user)).toEqual({ unread: 3, unseen: 1 });

    // a and b are seen already: only c changes, and a keeps its seen_at.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await act(user, "mark-seen", { activity_ids: [a, b, c] });
    expect(second.body).toEqual({ message: "Marked 1 items as seen", updated_count: 1 });
    const afterSecond = await itemsById(user);
    expect(afterSecond.get(a!)!.seen_at).toBe(afterFirst.get(a!)!.seen_at);
    expect(afterSecond.get(c!)!.is_seen).toBe(true);
    expect(await summary(user)).toMatchObject({ unread_count: 3, unseen_count: 0 });
    expect(await badge(user)).toEqual({ unread_count: 3, unseen_count: 0 });
    await expectCountersExact(user);
  });

  it("mark_all marks every unseen inbox item seen and counts only those that were unseen", async () => {
    const user = freshUser();
    const [first] = await items(user, 4);
    await act(user, "mark-seen", { activity_ids: [first] });
    const response = await act(user, "mark-seen", { mark_all: true });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Marked 3 items as seen", updated_count: 3 });
    expect([...(await itemsById(user)).values()].every((item) => item.is_seen && item.seen_at !== null)).toBe(true);
    expect(await summary(user)).toMatchObject({ total_items: 4, unread_count: 4, unseen_count: 0 });
    expect(await badge(user)).toEqual({ unread_count: 4, unseen_count: 0 });
    const again = await act(user, "mark-seen", { mark_all: true });
    expect(again.body).toEqual({ message: "Marked 0 items as seen", updated_count: 0 });
    await expectCountersExact(user);
  });
});

describe("mark-read and mark-unread", () => {
  it("mark-read marks items seen too, keeping the seen_at of an item seen earlier", async () => {
    const user = freshUser();
    const [seenFirst, neverSeen, other] = await items(user, 3);
    await act(user, "mark-seen", { activity_ids: [seenFirst] });
    const seenAt = (await itemsById(user)).get(seenFirst!)!.seen_at;
    await new Promise((resolve) => setTimeout(resolve, 5));

    const response = await act(user, "mark-read", { activity_ids: [seenFirst, neverSeen] });
    expect(response.body).toEqual({ message: "Marked 2 items as read", updated_count: 2 });
    const after = await itemsById(user);
    expect(after.get(seenFirst!)).toMatchObject({ is_read: true, is_seen: true, seen_at: seenAt });
    expect(after.get(neverSeen!)).toMatchObject({ is_read: true, is_seen: true });
    expect(after.get(neverSeen!)!.seen_at).toBe(after.get(neverSeen!)!.read_at);
    expect(after.get(other!)).toMatchObject({ is_read: false, is_seen: false });
    expect(await badge(user)).toEqual({ unread_count: 1, unseen_count: 1 });

    // mark_all reads (and so sees) the rest.
    const all = await act(user, "mark-read", { mark_all: true });
    expect(all.body.updated_count).toBe(1);
    expect((await itemsById(user)).get(other!)).toMatchObject({ is_read: true, is_seen: true });
    expect(await summary(user)).toMatchObject({ unread_count: 0, read_count: 3, unseen_count: 0 });
    expect(await badge(user)).toEqual({ unread_count: 0, unseen_count: 0 });
    await expectCountersExact(user);
  });

  it("mark-unread makes read items unread again and leaves them seen", async () => {
    const user = freshUser();
    const [a, b, c] = await items(user, 3);
    await act(user, "mark-read", { activity_ids: [a, b] });
    const read = await itemsById(user);

    const response = await act(user, "mark-unread", { activity_ids: [a, b, c] });
    expect(response.status).toBe(200);
    // c was unread already.
    expect(response.body).toEqual({ message: "Marked 2 items as unread", updated_count: 2 });
    const after = await itemsById(user);
    for (const id of [a!, b!]) {
      expect(after.get(id)).toMatchObject({ is_read: false, read_at: null, is_seen: true });
      expect(after.get(id)!.seen_at).toBe(read.get(id)!.seen_at);
    }
    expect(after.get(c!)).toMatchObject({ is_read: false, is_seen: false });
    expect(await summary(user)).toMatchObject({ total_items: 3, unread_count: 3, read_count: 0, unseen_count: 1 });
    expect(await badge(user)).toEqual({ unread_count: 3, unseen_count: 1 });
    expect(await cachedBadge(user)).toEqual({ unread: 3, unseen: 1 });
    const again = await act(user, "mark-unread", { activity_ids: [a, b, c] });
    expect(again.body).toEqual({ message: "Marked 0 items as unread", updated_count: 0 });
    await expectCountersExact(user);
  });
});

describe("archive and unarchive", () => {
  it("archived items leave the default list, its count, the summary, the badge and recent_activity", async () => {
    const user = freshUser();
    const [a, b, c] = await items(user, 3, "fast_start");
    const [reminder] = await items(user, 1, "fast_reminder", 10);
    await act(user, "mark-read", { activity_ids: [b] });
    expect(await summary(user)).toMatchObject({ total_items: 4, unread_count: 3, unseen_count: 3 });

    const response = await act(user, "archive", { activity_ids: [reminder, a, b] });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Archived 3 items", updated_count: 3 });

    const inbox = await list(user, { page_size: "100" });
    expect(ids(inbox)).toEqual([c]);
    expect(inbox.count).toBe(1);
    expect((await list(user, { is_read: "false" })).count).toBe(1);
    expect((await list(user, { activity_type: "fast_reminder" })).count).toBe(0);
    const totals = await summary(user);
    expect(totals).toMatchObject({
      total_items: 1,
      unread_count: 1,
      read_count: 0,
      unseen_count: 1,
      activity_types: { fast_start: 1 },
    });
    expect(Object.keys(totals.activity_types)).toEqual(["fast_start"]);
    expect(totals.recent_activity.map((item: Item) => item.id)).toEqual([c]);
    expect(await badge(user)).toEqual({ unread_count: 1, unseen_count: 1 });
    expect(await cachedBadge(user)).toEqual({ unread: 1, unseen: 1 });

    const archived = await itemsById(user);
    for (const id of [reminder!, a!, b!]) {
      expect(archived.get(id)!.is_archived).toBe(true);
      justNow(archived.get(id)!.archived_at);
    }
    expect(archived.get(b!)).toMatchObject({ is_read: true, is_seen: true });
    expect(archived.get(c!)).toMatchObject({ is_archived: false, archived_at: null });

    const again = await act(user, "archive", { activity_ids: [a] });
    expect(again.body).toEqual({ message: "Archived 0 items", updated_count: 0 });
    await expectCountersExact(user);
  });

  it("archived=only lists the archived items and archived=include every item, each with its count", async () => {
    const user = freshUser();
    const all = await items(user, 5);
    const toArchive = [all[0]!, all[3]!];
    await act(user, "archive", { activity_ids: toArchive });
    await act(user, "mark-read", { activity_ids: [all[3]] });
    const newestFirstIds = [...all].reverse();

    const only = await list(user, { archived: "only" });
    expect(ids(only)).toEqual(newestFirstIds.filter((id) => toArchive.includes(id)));
    expect(only.count).toBe(2);
    expect(only.results.every((item) => item.is_archived === true)).toBe(true);
    const onlyUnread = await list(user, { archived: "only", is_read: "false" });
    expect(ids(onlyUnread)).toEqual([all[0]]);
    expect(onlyUnread.count).toBe(1);

    const include = await list(user, { archived: "include" });
    expect(ids(include)).toEqual(newestFirstIds);
    expect(include.count).toBe(5);

    const exclude = await list(user, { archived: "exclude" });
    expect(ids(exclude)).toEqual(newestFirstIds.filter((id) => !toArchive.includes(id)));
    expect(exclude.count).toBe(3);
    expect(ids(await list(user))).toEqual(ids(exclude));
  });

  it("unarchive brings items back to the inbox and its counts with their read and seen states", async () => {
    const user = freshUser();
    const [read, unread, stays] = await items(user, 3);
    await act(user, "mark-read", { activity_ids: [read] });
    await act(user, "archive", { activity_ids: [read, unread, stays] });
    expect(await badge(user)).toEqual({ unread_count: 0, unseen_count: 0 });
    expect((await list(user)).count).toBe(0);

    const response = await act(user, "unarchive", { activity_ids: [read, unread] });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: "Unarchived 2 items", updated_count: 2 });
    const inbox = await list(user);
    expect(ids(inbox)).toEqual([unread, read]);
    expect(inbox.results.map((item) => [item.is_archived, item.archived_at, item.is_read, item.is_seen])).toEqual([
      [false, null, false, false],
      [false, null, true, true],
    ]);
    expect(await summary(user)).toMatchObject({ total_items: 2, unread_count: 1, read_count: 1, unseen_count: 1 });
    expect(await badge(user)).toEqual({ unread_count: 1, unseen_count: 1 });
    expect(ids(await list(user, { archived: "only" }))).toEqual([stays]);

    const again = await act(user, "unarchive", { activity_ids: [read, unread] });
    expect(again.body).toEqual({ message: "Unarchived 0 items", updated_count: 0 });
    await expectCountersExact(user);
  });

  it("archive with mark_all archives the whole inbox", async () => {
    const user = freshUser();
    const [first] = await items(user, 4);
    await act(user, "archive", { activity_ids: [first] });
    const response = await act(user, "archive", { mark_all: true });
    expect(response.body).toEqual({ message: "Archived 3 items", updated_count: 3 });
    expect((await list(user)).count).toBe(0);
    expect((await list(user, { archived: "only" })).count).toBe(4);
    expect(await summary(user)).toMatchObject({ total_items: 0, unread_count: 0, unseen_count: 0 });
    expect(await badge(user)).toEqual({ unread_count: 0, unseen_count: 0 });
    await expectCountersExact(user);
  });

  it("mark_all of mark-read and mark-seen acts on the inbox only: archived items keep their states", async () => {
    const user = freshUser();
    const [a, b, archived] = await items(user, 3);
    await act(user, "archive", { activity_ids: [archived] });

    expect((await act(user, "mark-seen", { mark_all: true })).body.updated_count).toBe(2);
    await act(user, "mark-unread", { activity_ids: [a, b] });
    expect((await act(user, "mark-read", { mark_all: true })).body.updated_count).toBe(2);
    expect((await itemsById(user)).get(archived!)).toMatchObject({
      is_archived: true,
      is_read: false,
      read_at: null,
      is_seen: false,
      seen_at: null,
    });
    expect(await badge(user)).toEqual({ unread_count: 0, unseen_count: 0 });
    // Back in the inbox, it is as unread and unseen as it was.
    await act(user, "unarchive", { activity_ids: [archived] });
    expect(await badge(user)).toEqual({ unread_count: 1, unseen_count: 1 });
    await expectCountersExact(user);
  });
});

describe("bounded mark_all", () => {
  it.each([
    ["mark-read", "Marked 2 items as read", { is_read: true, is_seen: true, is_archived: false }],
    ["mark-seen", "Marked 2 items as seen", { is_read: false, is_seen: true, is_archived: false }],
    ["archive", "Archived 2 items", { is_read: false, is_seen: false, is_archived: true }],
  ])(
    "%s with before leaves an item that arrived after the inbox was loaded unread and unseen",
    async (path, message, changed) => {
      const user = freshUser();
      // The client loaded its inbox at T (holding the items up to T); a new one arrived after.
      const [older, atT] = await items(user, 2, "fast_start", 0);
      const loadedAt = at(1);
      const [arrived] = await items(user, 1, "fast_start", 2);

      const response = await act(user, path, { mark_all: true, before: loadedAt });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message, updated_count: 2 });
      const after = await itemsById(user);
      expect(after.get(older!)).toMatchObject(changed);
      // "At or before": the item created at T itself was on the client's screen.
      expect(after.get(atT!)).toMatchObject(changed);
      expect(after.get(arrived!)).toMatchObject({
        is_read: false,
        read_at: null,
        is_seen: false,
        seen_at: null,
        is_archived: false,
      });
      expect(await badge(user)).toEqual(await badgeTruth(user));
      expect((await badge(user)).unseen_count).toBeGreaterThanOrEqual(1);
      await expectCountersExact(user);
    },
  );

  it("before is read with its UTC offset", async () => {
    const user = freshUser();
    const [first, second, third] = await items(user, 3);
    // 02:01 at +02:00 is 00:01 UTC: the first two items.
    const response = await act(user, "mark-read", { mark_all: true, before: "2024-07-01T02:01:00+02:00" });
    expect(response.body.updated_count).toBe(2);
    const after = await itemsById(user);
    expect([first, second, third].map((id) => after.get(id!)!.is_read)).toEqual([true, true, false]);
  });

  it("activity_type bounds mark_all to one type, or to a list of types", async () => {
    const user = freshUser();
    const [start] = await items(user, 1, "fast_start", 0);
    const reminders = await items(user, 2, "fast_reminder", 1);
    const [devotional] = await items(user, 1, "devotional_reminder", 3);
    const [milestone] = await items(user, 1, "milestone", 4);

    const one = await act(user, "mark-read", { mark_all: true, activity_type: "fast_reminder" });
    expect(one.body).toEqual({ message: "Marked 2 items as read", updated_count: 2 });
    expect(ids(await list(user, { is_read: "false" })).sort()).toEqual([start, devotional, milestone].sort());
    expect(ids(await list(user, { is_read: "true" })).sort()).toEqual([...reminders].sort());

    const several = await act(user, "mark-seen", {
      mark_all: true,
      activity_type: ["devotional_reminder", "milestone"],
    });
    expect(several.body).toEqual({ message: "Marked 2 items as seen", updated_count: 2 });
    expect(ids(await list(user, { is_seen: "false" }))).toEqual([start]);

    const archived = await act(user, "archive", { mark_all: true, activity_type: ["milestone"] });
    expect(archived.body).toEqual({ message: "Archived 1 items", updated_count: 1 });
    expect(ids(await list(user, { archived: "only" }))).toEqual([milestone]);
    await expectCountersExact(user);
  });

  it("activity_type and before together bound mark_all to both", async () => {
    const user = freshUser();
    const [oldReminder, newReminder] = [
      ...(await items(user, 1, "fast_reminder", 0)),
      ...(await items(user, 1, "fast_reminder", 10)),
    ];
    const [oldStart] = await items(user, 1, "fast_start", 1);
    const response = await act(user, "archive", { mark_all: true, activity_type: "fast_reminder", before: at(5) });
    expect(response.body.updated_count).toBe(1);
    expect(ids(await list(user, { archived: "only" }))).toEqual([oldReminder]);
    expect(ids(await list(user))).toEqual([newReminder, oldStart]);
    await expectCountersExact(user);
  });
});

describe("other users' items", () => {
  it.each([
    ["mark-read", "read"],
    ["mark-seen", "seen"],
    ["mark-unread", "unread"],
    ["archive", "archive"],
    ["unarchive", "unarchive"],
  ])("%s ignores ids of another user on the same shard, on another shard, and unknown ids", async (path) => {
    const user = freshUser();
    const shard = shardIndexOf(user);
    const neighbour = freshUserOnShard(shard);
    const stranger = freshUserNotOnShard(shard);
    // The caller's own item is in a state every action changes: read, seen, archived ones, and an unread, unseen one.
    const [mineFresh, mineDone] = await items(user, 2);
    await act(user, "mark-read", { activity_ids: [mineDone] });
    await act(user, "archive", { activity_ids: [mineDone] });
    const foreign: number[] = [];
    for (const other of [neighbour, stranger]) {
      const [fresh, done] = await items(other, 2);
      await act(other, "mark-read", { activity_ids: [done] });
      await act(other, "archive", { activity_ids: [done] });
      await asUser(other, "GET", `${FEED}unread-count/`);
      foreign.push(fresh!, done!);
    }
    const rowsOf = async (other: number) =>
      (await shardOf(other).prepare("SELECT * FROM feed_items WHERE user_id = ? ORDER BY id").bind(other).all())
        .results;
    const before = { neighbour: await rowsOf(neighbour), stranger: await rowsOf(stranger) };
    const badges = { neighbour: await cachedBadge(neighbour), stranger: await cachedBadge(stranger) };
    const unknown = [
      encodeItemId(shard, 987_654_321),
      // A shard this deployment does not have.
      encodeItemId(SHARD_COUNT + 3, 1),
    ];

    const foreignOnly = await act(user, path, { activity_ids: [...foreign, ...unknown] });
    expect(foreignOnly.status).toBe(200);
    expect(foreignOnly.body.updated_count).toBe(0);
    // With one of the caller's own items among them, exactly that one changes.
    const mine = path === "mark-unread" || path === "unarchive" ? mineDone : mineFresh;
    const withMine = await act(user, path, { activity_ids: [...foreign, mine, ...unknown] });
    expect(withMine.body.updated_count).toBe(1);

    expect(await rowsOf(neighbour)).toEqual(before.neighbour);
    expect(await rowsOf(stranger)).toEqual(before.stranger);
    expect(await cachedBadge(neighbour)).toEqual(badges.neighbour);
    expect(await cachedBadge(stranger)).toEqual(badges.stranger);
    for (const who of [user, neighbour, stranger]) await expectCountersExact(who);
  });
});

describe("validation", () => {
  const BULK = ["mark-read", "mark-seen", "archive"];

  it.each(BULK)("%s: activity_ids together with mark_all is 400", async (path) => {
    const response = await act(freshUser(), path, { activity_ids: [1025], mark_all: true });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body)).toEqual(["non_field_errors"]);
  });

  it.each(BULK)("%s: activity_type or before without mark_all is 400 naming the field", async (path) => {
    const user = freshUser();
    const [id] = await items(user, 1);
    for (const [field, value] of [
      ["activity_type", "fast_start"],
      ["before", "2024-07-01T00:00:00Z"],
    ] as const) {
      for (const body of [
        { activity_ids: [id], [field]: value },
        { mark_all: false, activity_ids: [id], [field]: value },
      ]) {
        const response = await act(user, path, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body[field], JSON.stringify(body)).toEqual(['Only allowed with "mark_all": true.']);
      }
    }
    // Nothing was changed by the refused requests.
    expect((await itemsById(user)).get(id!)).toMatchObject({ is_read: false, is_seen: false, is_archived: false });
  });

  it.each(BULK)("%s: a bad before or activity_type is 400 naming the field", async (path) => {
    const user = freshUser();
    await items(user, 1);
    for (const before of ["yesterday", "2024-07-01", "2024-02-30T00:00:00Z", "", 1719792000000, null]) {
      const response = await act(user, path, { mark_all: true, before });
      expect(response.status, String(before)).toBe(400);
      expect(Object.keys(response.body), String(before)).toEqual(["before"]);
    }
    for (const activityType of ["bogus", [], ["fast_start", "bogus"], 3]) {
      const response = await act(user, path, { mark_all: true, activity_type: activityType });
      expect(response.status, JSON.stringify(activityType)).toBe(400);
      expect(Object.keys(response.body)[0], JSON.stringify(activityType)).toMatch(/^activity_type/);
    }
    expect(await badge(user)).toEqual({ unread_count: 1, unseen_count: 1 });
  });

  it.each(["mark-unread", "unarchive"])("%s without activity_ids is 400, mark_all or not", async (path) => {
    const user = freshUser();
    for (const body of [{}, { mark_all: true }, { activity_ids: [] }, { activity_ids: "1025" }]) {
      const response = await act(user, path, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(response.body), JSON.stringify(body)).toEqual(["activity_ids"]);
    }
  });

  it("archived=nope and is_seen=maybe are 400 naming the parameter", async () => {
    const user = freshUser();
    const archived = await asUser(user, "GET", `${FEED}?archived=nope`);
    expect(archived.status).toBe(400);
    expect(archived.body).toEqual({ archived: ['Select a valid choice: "exclude", "include" or "only".'] });
    const seen = await asUser(user, "GET", `${FEED}?is_seen=maybe`);
    expect(seen.status).toBe(400);
    expect(seen.body).toEqual({ is_seen: ["Must be a valid boolean."] });
  });

  it.each(["mark-seen", "mark-unread", "archive", "unarchive"])("%s without a token is 401", async (path) => {
    const response = await call("POST", `${FEED}${path}/`, { body: { activity_ids: [1025] } });
    expect(response.status).toBe(401);
    expect(Object.keys(response.body)).toEqual(["detail"]);
  });
});

describe("listing by seen state", () => {
  it("is_seen=false lists exactly the unseen inbox items, and is_seen=true the seen ones", async () => {
    const user = freshUser();
    const [seen, read, unseen1, unseen2, archivedUnseen] = await items(user, 5);
    await act(user, "mark-seen", { activity_ids: [seen] });
    await act(user, "mark-read", { activity_ids: [read] });
    await act(user, "archive", { activity_ids: [archivedUnseen] });

    const unseen = await list(user, { is_seen: "false" });
    expect(ids(unseen)).toEqual([unseen2, unseen1]);
    expect(unseen.count).toBe(2);
    expect(unseen.results.every((item) => item.is_seen === false)).toBe(true);
    const seenPage = await list(user, { is_seen: "true" });
    expect(ids(seenPage)).toEqual([read, seen]);
    expect(seenPage.count).toBe(2);
    // Combined with the other filters.
    expect(ids(await list(user, { is_seen: "true", is_read: "false" }))).toEqual([seen]);
    expect((await list(user, { is_seen: "false", is_read: "true" })).count).toBe(0);
    expect(ids(await list(user, { is_seen: "false", archived: "include" }))).toEqual([
      archivedUnseen,
      unseen2,
      unseen1,
    ]);
    expect((await summary(user)).unseen_count).toBe(2);
  });
});

describe("cursor pagination over archived items", () => {
  it("walks archived=only forwards and back without skips or repeats, also across equal created_at", async () => {
    const user = freshUser();
    const minutes = [0, 0, 1, 1, 1, 2, 3, 3, 4, 5, 5, 6];
    const specs: Record<string, Spec> = {};
    minutes.forEach((minute, index) => {
      specs[`item ${index}`] = { type: index % 3 === 0 ? "fast_reminder" : "fast_start", at: at(minute) };
    });
    const idOf = await seed(user, specs);
    const all = (await list(user, { page_size: "100" })).results.sort(newestFirst);
    // Every item but a few, spread over the ties, is archived.
    const kept = new Set([idOf["item 1"], idOf["item 4"], idOf["item 9"]]);
    const archived = all.map((item) => item.id).filter((id) => !kept.has(id));
    await act(user, "archive", { activity_ids: archived });

    const pages: Page[] = [await list(user, { archived: "only", pagination: "cursor", page_size: "2" })];
    expect(pages[0]!.previous).toBeNull();
    while (pages.at(-1)!.next) {
      expect(pages.length, "the walk does not end").toBeLessThan(20);
      expect(new URL(pages.at(-1)!.next!).searchParams.get("archived")).toBe("only");
      pages.push(await follow(user, pages.at(-1)!.next!));
    }
    expect(pages.map((page) => page.count)).toEqual(pages.map(() => archived.length));
    expect(pages.flatMap(ids)).toEqual(archived);
    expect(pages.flatMap((page) => page.results).every((item) => item.is_archived === true)).toBe(true);

    const back: number[][] = [];
    let page = pages.at(-1)!;
    while (page.previous) {
      page = await follow(user, page.previous);
      back.unshift(ids(page));
    }
    expect(back).toEqual(pages.slice(0, -1).map(ids));
  });
});

describe("badge cache format", () => {
  it("a badge cached as a bare number (the format before unseen) is read as a miss and rewritten as unread,unseen", async () => {
    const user = freshUser();
    const [first] = await items(user, 3);
    await act(user, "mark-seen", { activity_ids: [first] });
    await env.UNREAD_CACHE.put(`unread:${user}`, "7");

    const missed = await asUser(user, "GET", `${FEED}unread-count/`);
    expect(missed.body).toEqual({ unread_count: 3, unseen_count: 2 });
    expect(missed.headers.get("X-Cache")).toBe("miss");
    expect(await env.UNREAD_CACHE.get(`unread:${user}`)).toBe("3,2");
    const hit = await asUser(user, "GET", `${FEED}unread-count/`);
    expect(hit.body).toEqual({ unread_count: 3, unseen_count: 2 });
    expect(hit.headers.get("X-Cache")).toBe("hit");
  });

  it("an action rewrites a bare-number entry in the new format", async () => {
    const user = freshUser();
    const [first] = await items(user, 2);
    await env.UNREAD_CACHE.put(`unread:${user}`, "2");
    await act(user, "mark-read", { activity_ids: [first] });
    expect(await env.UNREAD_CACHE.get(`unread:${user}`)).toBe("1,1");
  });
});
