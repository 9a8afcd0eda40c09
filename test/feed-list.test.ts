import { beforeAll, describe, expect, it } from "vitest";
import { ageDisplay } from "../src/feed/age";
import { asUser, BASE, freshUser, ingest } from "./support/http";
import { shardIndexOf } from "./support/shard-rows";
import { DAY, HOUR, isoAgo, MINUTE, SECOND, WEEK } from "./support/time";

const FEED = "/api/events/activity-feed/";

interface Item {
  id: number;
  activity_type: string;
  title: string;
  created_at: string;
  [field: string]: unknown;
}

interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: Item[];
}

type Spec = { type: string; at: string; read?: boolean; data?: Record<string, unknown> };

/**
 * Creates one item per spec (each titled with its key, so results can be told
 * apart) and marks the `read` ones read. Returns key → public id.
 */
async function seed(user: number, specs: Record<string, Spec>): Promise<Record<string, number>> {
  const keys = Object.keys(specs);
  const created = await ingest(
    keys.map((key) => ({
      user_id: user,
      activity_type: specs[key]!.type,
      occurred_at: specs[key]!.at,
      title: key,
      data: specs[key]!.data ?? {},
    })),
  );
  expect(created.created_count).toBe(keys.length);
  const ids: Record<string, number> = {};
  for (const result of created.results as { id: number; title: string }[]) ids[result.title] = result.id;
  const toRead = keys.filter((key) => specs[key]!.read).map((key) => ids[key]!);
  if (toRead.length > 0) {
    const marked = await asUser(user, "POST", `${FEED}mark-read/`, { activity_ids: toRead });
    expect(marked.body.updated_count).toBe(toRead.length);
  }
  return ids;
}

async function list(user: number, query: Record<string, string> | string = {}): Promise<Page> {
  const search = typeof query === "string" ? query : new URLSearchParams(query).toString();
  const response = await asUser<Page>(user, "GET", `${FEED}${search ? `?${search}` : ""}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

/** Follows an absolute next/previous link. */
async function follow(user: number, link: string): Promise<Page> {
  const url = new URL(link);
  expect(url.origin).toBe(BASE);
  const response = await asUser<Page>(user, "GET", `${url.pathname}${url.search}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

const ids = (page: Page) => page.results.map((item) => item.id);

/** Newest first: created_at, then id (ids of one user share a shard, so they order like local ids). */
const newestFirst = (a: Item, b: Item) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;

describe("feed order", () => {
  it("lists items newest first by created_at, whatever order they arrived in", async () => {
    const user = freshUser();
    const created = await seed(user, {
      b: { type: "fast_join", at: "2024-03-02T10:00:00.000Z" },
      d: { type: "milestone", at: "2024-03-04T10:00:00.000Z" },
      a: { type: "fast_leave", at: "2024-03-01T10:00:00.000Z" },
      c: { type: "fast_start", at: "2024-03-03T10:00:00.000Z" },
    });
    const page = await list(user);
    expect(page.results.map((item) => item.title)).toEqual(["d", "c", "b", "a"]);
    expect(ids(page)).toEqual([created.d, created.c, created.b, created.a]);
  });

  it("items with the same created_at are listed by id, the later-created first", async () => {
    const user = freshUser();
    const at = "2024-03-01T10:00:00.000Z";
    const first = await ingest({ user_id: user, activity_type: "fast_join", occurred_at: at });
    const second = await ingest({ user_id: user, activity_type: "fast_join", occurred_at: at });
    const third = await ingest({ user_id: user, activity_type: "fast_join", occurred_at: at });
    const older = await ingest({ user_id: user, activity_type: "fast_join", occurred_at: "2024-03-01T09:59:59.999Z" });
    const page = await list(user);
    expect(ids(page)).toEqual([
      third.results[0]!.id,
      second.results[0]!.id,
      first.results[0]!.id,
      older.results[0]!.id,
    ]);
  });
});

describe("feed filters", () => {
  const DATASET: Record<string, Spec> = {
    A: { type: "fast_join", at: "2024-01-04T23:59:59.000Z" },
    B: { type: "fast_join", at: "2024-01-05T00:00:00.000Z" },
    C: { type: "fast_reminder", at: "2024-01-05T12:00:00.000Z", read: true },
    D: { type: "milestone", at: "2024-01-05T23:59:59.999Z" },
    E: { type: "devotional_available", at: "2024-01-06T00:00:00.000Z", read: true },
    F: { type: "fast_leave", at: "2024-01-10T08:30:00.000Z" },
    G: { type: "fast_join", at: "2024-02-01T00:00:00.000Z", read: true },
  };
  let user: number;
  let idOf: Record<string, number>;

  beforeAll(async () => {
    user = freshUser();
    idOf = await seed(user, DATASET);
  });

  /** The expected keys, newest first (the dataset's times are distinct). */
  const expected = (keys: string) =>
    keys
      .split("")
      .filter(Boolean)
      .sort((a, b) => Date.parse(DATASET[b]!.at) - Date.parse(DATASET[a]!.at));

  it.each([
    ["no filter", {}, "ABCDEFG"],
    ["one activity_type", { activity_type: "fast_join" }, "ABG"],
    ["another activity_type", { activity_type: "milestone" }, "D"],
    ["comma-separated activity_types", { activity_type: "fast_join,milestone" }, "ABDG"],
    ["comma-separated activity_types with spaces", { activity_type: " fast_join , fast_reminder " }, "ABCG"],
    ["an activity_type the user has none of", { activity_type: "devotional_reminder" }, ""],
    ["is_read=false", { is_read: "false" }, "ABDF"],
    ["is_read=true", { is_read: "true" }, "CEG"],
    ["start_date as a bare date (from the start of that day)", { start_date: "2024-01-05" }, "BCDEFG"],
    ["end_date as a bare date (the whole day included)", { end_date: "2024-01-05" }, "ABCD"],
    [
      "start_date and end_date on the same day (that whole day)",
      { start_date: "2024-01-05", end_date: "2024-01-05" },
      "BCD",
    ],
    ["start_date as a datetime (inclusive)", { start_date: "2024-01-05T12:00:00Z" }, "CDEFG"],
    ["start_date as a datetime without offset (UTC)", { start_date: "2024-01-05T12:00:00" }, "CDEFG"],
    ["start_date as a datetime with an offset", { start_date: "2024-01-05T14:00:00+02:00" }, "CDEFG"],
    ["end_date as a datetime (inclusive)", { end_date: "2024-01-05T12:00:00Z" }, "ABC"],
    ["end_date a millisecond earlier", { end_date: "2024-01-05T11:59:59.999Z" }, "AB"],
    [
      "datetime bounds on both sides",
      { start_date: "2024-01-05T00:00:00.001Z", end_date: "2024-01-06T00:00:00Z" },
      "CDE",
    ],
    ["activity_type and is_read=false", { activity_type: "fast_join", is_read: "false" }, "AB"],
    ["several activity_types and is_read=true", { activity_type: "fast_join,fast_reminder", is_read: "true" }, "CG"],
    ["is_read=true and start_date", { is_read: "true", start_date: "2024-01-06" }, "EG"],
    ["is_read=false and end_date", { is_read: "false", end_date: "2024-01-05" }, "ABD"],
    [
      "every filter at once",
      {
        activity_type: "fast_join,milestone,fast_leave",
        is_read: "false",
        start_date: "2024-01-05",
        end_date: "2024-01-09",
      },
      "BD",
    ],
  ])("filter: %s, with a count that matches", async (_name, query, keys) => {
    const page = await list(user, { ...query, page_size: "100" });
    const want = expected(keys);
    expect(page.results.map((item) => item.title)).toEqual(want);
    expect(ids(page)).toEqual(want.map((key) => idOf[key]));
    expect(page.count).toBe(want.length);
    expect(page.next).toBeNull();
    expect(page.previous).toBeNull();
  });

  it("count is the number of matching items, not the page's length", async () => {
    const page = await list(user, { activity_type: "fast_join,milestone", page_size: "2" });
    expect(page.count).toBe(4);
    expect(page.results).toHaveLength(2);
    const dated = await list(user, { start_date: "2024-01-05", is_read: "false", page_size: "1" });
    expect(dated.count).toBe(3);
    expect(dated.results).toHaveLength(1);
  });
});

describe("page-number pagination", () => {
  let user: number;
  let joins: number[];

  beforeAll(async () => {
    user = freshUser();
    const specs: Record<string, Spec> = {};
    for (let index = 0; index < 7; index++)
      specs[`join${index}`] = { type: "fast_join", at: new Date(Date.UTC(2024, 4, 1 + index)).toISOString() };
    specs.milestone = { type: "milestone", at: "2024-05-03T12:00:00.000Z" };
    specs.readJoin = { type: "fast_join", at: "2024-05-20T00:00:00.000Z", read: true };
    const idOf = await seed(user, specs);
    joins = Array.from({ length: 7 }, (_, index) => idOf[`join${6 - index}`]!);
  });

  it("pages hold page_size items and next/previous are absolute URLs that keep the filters", async () => {
    const query = { activity_type: "fast_join", is_read: "false", page_size: "3" };
    const first = await list(user, query);
    expect(first.count).toBe(7);
    expect(ids(first)).toEqual(joins.slice(0, 3));
    expect(first.previous).toBeNull();
    expect(first.next).not.toBeNull();
    const nextUrl = new URL(first.next!);
    expect(`${nextUrl.origin}${nextUrl.pathname}`).toBe(`${BASE}${FEED}`);
    expect(Object.fromEntries(nextUrl.searchParams)).toEqual({ ...query, page: "2" });

    const second = await follow(user, first.next!);
    expect(ids(second)).toEqual(joins.slice(3, 6));
    expect(second.count).toBe(7);
    const previousUrl = new URL(second.previous!);
    expect(`${previousUrl.origin}${previousUrl.pathname}`).toBe(`${BASE}${FEED}`);
    // Page 1 is the URL without a page, as Django REST framework links it.
    expect(Object.fromEntries(previousUrl.searchParams)).toEqual(query);
    expect(Object.fromEntries(new URL(second.next!).searchParams)).toEqual({ ...query, page: "3" });

    const third = await follow(user, second.next!);
    expect(ids(third)).toEqual(joins.slice(6));
    expect(third.next).toBeNull();
    expect(Object.fromEntries(new URL(third.previous!).searchParams)).toEqual({ ...query, page: "2" });

    const back = await follow(user, second.previous!);
    expect(ids(back)).toEqual(ids(first));
  });

  it.each([
    ["no filter", {}, 9],
    ["one activity_type", { activity_type: "fast_join" }, 8],
    ["several activity_types", { activity_type: "fast_join,milestone" }, 9],
    ["is_read=false", { is_read: "false" }, 8],
    ["a date range", { start_date: "2024-05-02", end_date: "2024-05-31" }, 8],
  ])("walking every page with %s visits each matching item exactly once", async (_name, filters, total) => {
    const seen: number[] = [];
    let page = await list(user, { ...filters, page_size: "2" });
    expect(page.count).toBe(total);
    seen.push(...ids(page));
    while (page.next) {
      page = await follow(user, page.next);
      seen.push(...ids(page));
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toEqual(ids(await list(user, { ...filters, page_size: "100" })));
  });

  it("a page past the end is 404 Invalid page.", async () => {
    const response = await asUser(user, "GET", `${FEED}?page=4&page_size=3`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: "Invalid page." });
  });

  it("page=0 is 404 Invalid page.", async () => {
    const response = await asUser(user, "GET", `${FEED}?page=0`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: "Invalid page." });
  });

  it("page=last returns the last page", async () => {
    const page = await list(user, { activity_type: "fast_join", is_read: "false", page_size: "3", page: "last" });
    expect(ids(page)).toEqual(joins.slice(6));
    expect(page.next).toBeNull();
    expect(new URL(page.previous!).searchParams.get("page")).toBe("2");
  });

  it("an empty feed has an empty first page, and no second page", async () => {
    const empty = freshUser();
    expect(await list(empty)).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect(await list(empty, { page: "last" })).toEqual({ count: 0, next: null, previous: null, results: [] });
    const second = await asUser(empty, "GET", `${FEED}?page=2`);
    expect(second.status).toBe(404);
    expect(second.body).toEqual({ detail: "Invalid page." });
  });

  it("the default page size is 20", async () => {
    const many = freshUser();
    await ingest(
      Array.from({ length: 21 }, (_, index) => ({
        user_id: many,
        activity_type: "fast_join",
        occurred_at: new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString(),
      })),
    );
    const first = await list(many);
    expect(first.count).toBe(21);
    expect(first.results).toHaveLength(20);
    expect(new URL(first.next!).searchParams.get("page")).toBe("2");
    const second = await follow(many, first.next!);
    expect(second.results).toHaveLength(1);
  });

  it("the trailing slash is optional", async () => {
    const withSlash = await asUser(user, "GET", "/api/events/activity-feed/?page_size=5");
    const withoutSlash = await asUser(user, "GET", "/api/events/activity-feed?page_size=5");
    expect(withoutSlash.status).toBe(200);
    expect(ids(withoutSlash.body)).toEqual(ids(withSlash.body));
    expect(withoutSlash.body.count).toBe(withSlash.body.count);
  });
});

describe("cursor pagination", () => {
  /** Follows `next` from the first page to the end; returns the pages' ids. */
  async function walkForward(
    user: number,
    query: Record<string, string>,
    between?: (pageIndex: number) => Promise<void>,
  ) {
    const pages: number[][] = [];
    let page = await list(user, query);
    expect(page.previous).toBeNull();
    pages.push(ids(page));
    while (page.next) {
      expect(pages.length, "the walk does not end").toBeLessThan(50);
      await between?.(pages.length);
      const url = new URL(page.next);
      expect(url.searchParams.get("cursor")).toBeTruthy();
      expect(url.searchParams.has("page")).toBe(false);
      page = await follow(user, page.next);
      pages.push(ids(page));
    }
    return { pages, last: page };
  }

  /** 11 items, several sharing a created_at so that ties fall across page boundaries. */
  async function tiedItems(user: number) {
    const minutes = [0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 4];
    const created = await ingest(
      minutes.map((minute) => ({
        user_id: user,
        activity_type: "fast_join",
        occurred_at: new Date(Date.UTC(2024, 2, 1, 0, minute)).toISOString(),
      })),
    );
    const items = (created.results as unknown as Item[]).slice().sort(newestFirst);
    return items.map((item) => item.id);
  }

  it("following next visits every item exactly once, newest first, also across equal created_at", async () => {
    const user = freshUser();
    const expectedOrder = await tiedItems(user);
    const { pages } = await walkForward(user, { pagination: "cursor", page_size: "3" });
    expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 2]);
    expect(pages.flat()).toEqual(expectedOrder);
    expect(ids(await list(user, { page_size: "100" }))).toEqual(expectedOrder);
  });

  it("the first cursor page has no previous link and the count of all matches", async () => {
    const user = freshUser();
    await tiedItems(user);
    const page = await list(user, { pagination: "cursor", page_size: "4" });
    expect(page.count).toBe(11);
    expect(page.previous).toBeNull();
    const next = new URL(page.next!);
    expect(next.origin).toBe(BASE);
    expect(next.searchParams.has("pagination")).toBe(false);
    expect(next.searchParams.get("page_size")).toBe("4");
  });

  it("neither skips nor repeats items when new items arrive between page reads", async () => {
    const user = freshUser();
    const originals = await tiedItems(user);
    const lateOld: number[] = [];
    const { pages } = await walkForward(user, { pagination: "cursor", page_size: "2" }, async (pageIndex) => {
      // Newer than everything: ahead of the cursor, so never part of this walk.
      await ingest([
        { user_id: user, activity_type: "milestone", occurred_at: isoAgo(pageIndex * SECOND) },
        { user_id: user, activity_type: "fast_leave", occurred_at: new Date(Date.UTC(2024, 2, 1, 0, 3)).toISOString() },
      ]);
      if (pageIndex === 2) {
        // Older than everything: behind the cursor, so it comes last, once.
        const old = await ingest({ user_id: user, activity_type: "fast_start", occurred_at: "2023-06-01T00:00:00Z" });
        lateOld.push(old.results[0]!.id);
      }
    });
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => originals.includes(id))).toEqual(originals);
    expect(seen.at(-1)).toBe(lateOld[0]);
  });

  it("previous links walk back over the same pages", async () => {
    const user = freshUser();
    await tiedItems(user);
    const { pages, last } = await walkForward(user, { pagination: "cursor", page_size: "3" });
    const backwards: number[][] = [];
    let page = last;
    while (page.previous) {
      expect(backwards.length, "the walk back does not end").toBeLessThan(50);
      page = await follow(user, page.previous);
      backwards.push(ids(page));
    }
    expect(backwards).toEqual(pages.slice(0, -1).reverse());
    // Back on the first page, next leads forward again.
    expect(ids(await follow(user, page.next!))).toEqual(pages[1]);
  });

  it("cursor links keep the filters", async () => {
    const user = freshUser();
    const specs: Record<string, Spec> = {};
    for (let index = 0; index < 10; index++) {
      specs[`i${index}`] = {
        type: index % 2 === 0 ? "fast_join" : "milestone",
        at: new Date(Date.UTC(2024, 5, 1, index)).toISOString(),
        read: index % 4 === 0,
      };
    }
    const idOf = await seed(user, specs);
    const query = { pagination: "cursor", activity_type: "fast_join", is_read: "false", page_size: "1" };
    const { pages } = await walkForward(user, query);
    // fast_join and unread: i2, i6 (i0, i4, i8 are read).
    expect(pages.flat()).toEqual([idOf.i6, idOf.i2]);
    const first = await list(user, query);
    const next = new URL(first.next!);
    expect(next.searchParams.get("activity_type")).toBe("fast_join");
    expect(next.searchParams.get("is_read")).toBe("false");
    expect(first.count).toBe(2);
  });

  it("a cursor walk over several types merges them in order", async () => {
    const user = freshUser();
    const specs: Record<string, Spec> = {};
    const types = ["fast_join", "milestone", "fast_reminder", "fast_leave"];
    for (let index = 0; index < 12; index++)
      specs[`i${index}`] = { type: types[index % 4]!, at: new Date(Date.UTC(2024, 5, 1, 0, index % 5)).toISOString() };
    await seed(user, specs);
    const all = (await list(user, { page_size: "100" })).results.filter((item) => item.activity_type !== "fast_leave");
    const { pages } = await walkForward(user, {
      pagination: "cursor",
      activity_type: "fast_join,milestone,fast_reminder",
      page_size: "2",
    });
    expect(pages.flat()).toEqual(all.map((item) => item.id));
  });
});

describe("item shape", () => {
  it("an item carries every field of the contract", async () => {
    const user = freshUser();
    const occurredAt = isoAgo(2 * HOUR + 30 * MINUTE);
    await ingest({
      user_id: user,
      activity_type: "fast_join",
      occurred_at: occurredAt,
      description: "You joined the Great Lent Fast",
      data: { fast_id: 123, fast_name: "Great Lent Fast" },
    });
    const [item] = (await list(user)).results;
    expect(Object.keys(item!).sort()).toEqual(
      [
        "activity_type",
        "activity_type_display",
        "age_display",
        "created_at",
        "data",
        "description",
        "id",
        "is_read",
        "read_at",
        "target_id",
        "target_type",
        "title",
      ].sort(),
    );
    expect(item).toEqual({
      id: expect.any(Number),
      activity_type: "fast_join",
      activity_type_display: "Joined Fast",
      title: "Joined Great Lent Fast",
      description: "You joined the Great Lent Fast",
      is_read: false,
      read_at: null,
      created_at: occurredAt,
      age_display: "2h ago",
      data: { fast_id: 123, fast_name: "Great Lent Fast" },
      target_type: "hub.fast",
      target_id: 123,
    });
    expect(Number.isSafeInteger(item!.id)).toBe(true);
    expect(item!.id % 1024).toBe(shardIndexOf(user));
    expect(item!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  });

  it("read_at is an ISO UTC time once the item is read", async () => {
    const user = freshUser();
    const created = await ingest({
      user_id: user,
      activity_type: "milestone",
      data: { fast_name: "Nativity Fast", milestone: 100 },
    });
    const before = Date.now();
    await asUser(user, "POST", `${FEED}mark-read/`, { activity_ids: [created.results[0]!.id] });
    const [item] = (await list(user)).results;
    expect(item!.is_read).toBe(true);
    expect(item!.read_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Date.parse(item!.read_at as string)).toBeGreaterThanOrEqual(before - 5 * SECOND);
    expect(Date.parse(item!.read_at as string)).toBeLessThanOrEqual(Date.now() + 5 * SECOND);
    expect(item!.data).toEqual({ fast_name: "Nativity Fast", milestone: 100 });
  });

  it("an event's own target wins over the type's default target; without either both are null", async () => {
    const user = freshUser();
    await seed(user, {
      own: { type: "devotional_available", at: "2024-01-03T00:00:00Z", data: { fast_id: 5, devotional_id: 9 } },
      none: { type: "event", at: "2024-01-02T00:00:00Z" },
    });
    await ingest({
      user_id: user,
      activity_type: "fast_join",
      target_type: "hub.other",
      target_id: 77,
      data: { fast_id: 5 },
      occurred_at: "2024-01-01T00:00:00Z",
    });
    const results = (await list(user)).results;
    expect(results.map((item) => [item.target_type, item.target_id])).toEqual([
      ["hub.devotional", 9],
      [null, null],
      ["hub.other", 77],
    ]);
  });

  it("activity_type_display names every type as the original does", async () => {
    const user = freshUser();
    const names: Record<string, string> = {
      event: "Event",
      fast_start: "Fast Started",
      fast_join: "Joined Fast",
      fast_leave: "Left Fast",
      devotional_available: "Devotional Available",
      milestone: "Milestone Reached",
      fast_reminder: "Fast Reminder",
      devotional_reminder: "Devotional Reminder",
    };
    await ingest(Object.keys(names).map((type) => ({ user_id: user, activity_type: type })));
    const results = (await list(user)).results;
    expect(Object.fromEntries(results.map((item) => [item.activity_type, item.activity_type_display]))).toEqual(names);
  });

  it("titles and descriptions use the original's wording", async () => {
    const user = freshUser();
    const fast = { fast_id: 3, fast_name: "Great Lent" };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ activity_type: "fast_join", data: fast }, "Joined Great Lent", "Joined Great Lent"],
      [{ activity_type: "fast_leave", data: fast }, "Left Great Lent", "Left Great Lent"],
      [{ activity_type: "fast_start", data: fast }, "Great Lent has begun", "Great Lent has begun"],
      [
        { activity_type: "fast_start", data: { ...fast, phase: "ended" } },
        "Great Lent has ended",
        "Great Lent has ended",
      ],
      [
        { activity_type: "devotional_available", data: fast },
        "New devotional available for Great Lent",
        "New devotional available for Great Lent",
      ],
      [
        { activity_type: "milestone", data: { ...fast, milestone: 100 } },
        "Great Lent reached participation milestone",
        "Great Lent reached participation milestone",
      ],
      [
        { activity_type: "fast_reminder", data: fast },
        "Fast Reminder: Great Lent",
        "The Great Lent is starting soon. Don't forget to join!",
      ],
      [
        { activity_type: "devotional_reminder", data: { ...fast, devotional_id: 4, video_title: "Day 1" } },
        "New Devotional: Day 1",
        "A new devotional is available for Great Lent",
      ],
      [
        { activity_type: "devotional_reminder", data: fast },
        "New Devotional: Available",
        "A new devotional is available for Great Lent",
      ],
    ];
    await ingest(
      cases.map(([event], index) => ({
        ...event,
        user_id: user,
        occurred_at: new Date(Date.UTC(2024, 0, 1, index)).toISOString(),
      })),
    );
    const results = (await list(user)).results.reverse();
    expect(results.map((item) => [item.title, item.description])).toEqual(
      cases.map(([, title, description]) => [title, description]),
    );
  });

  it("age_display reads just now, minutes, hours, days, weeks, then the date", async () => {
    const user = freshUser();
    await ingest([
      { user_id: user, activity_type: "fast_join", title: "30s", occurred_at: isoAgo(30 * SECOND) },
      { user_id: user, activity_type: "fast_join", title: "5m", occurred_at: isoAgo(5 * MINUTE + 20 * SECOND) },
      { user_id: user, activity_type: "fast_join", title: "2h", occurred_at: isoAgo(2 * HOUR + 20 * MINUTE) },
      { user_id: user, activity_type: "fast_join", title: "3d", occurred_at: isoAgo(3 * DAY + 2 * HOUR) },
      { user_id: user, activity_type: "fast_join", title: "2w", occurred_at: isoAgo(2 * WEEK + DAY) },
      { user_id: user, activity_type: "fast_join", title: "old", occurred_at: "2024-01-05T12:00:00Z" },
      { user_id: user, activity_type: "fast_join", title: "future", occurred_at: isoAgo(-HOUR) },
    ]);
    const results = (await list(user)).results;
    expect(Object.fromEntries(results.map((item) => [item.title, item.age_display]))).toEqual({
      "30s": "just now",
      "5m": "5m ago",
      "2h": "2h ago",
      "3d": "3d ago",
      "2w": "2w ago",
      old: "Jan 5, 2024",
      future: "just now",
    });
  });
});

describe("ageDisplay", () => {
  const now = Date.parse("2025-06-15T12:00:00Z");
  it.each([
    [0, "just now"],
    [59 * SECOND, "just now"],
    [MINUTE, "1m ago"],
    [5 * MINUTE + 59 * SECOND, "5m ago"],
    [59 * MINUTE + 59 * SECOND, "59m ago"],
    [HOUR, "1h ago"],
    [23 * HOUR + 59 * MINUTE, "23h ago"],
    [DAY, "1d ago"],
    [6 * DAY + 23 * HOUR, "6d ago"],
    [WEEK, "1w ago"],
    [2 * WEEK + 3 * DAY, "2w ago"],
    [4 * WEEK, "4w ago"],
    [-10 * MINUTE, "just now"],
  ])("an item %i ms old reads %s", (age, label) => {
    expect(ageDisplay(now - age, now)).toBe(label);
  });

  it("older items read as their UTC date, without zero padding", () => {
    expect(ageDisplay(Date.parse("2024-01-05T12:00:00Z"), now)).toBe("Jan 5, 2024");
    expect(ageDisplay(Date.parse("2024-12-31T23:30:00-05:00"), now)).toBe("Jan 1, 2025");
    expect(ageDisplay(Date.parse("2023-11-20T00:00:00Z"), now)).toBe("Nov 20, 2023");
    expect(ageDisplay(now - 60 * DAY, now)).toBe("Apr 16, 2025");
  });
});
