import { beforeAll, describe, expect, it } from "vitest";
import { FEED, follow, type Item, ids, list, newestFirst, type Spec, seed } from "./support/feed";
import { asUser, BASE, freshUser, ingest } from "./support/http";
import { isoAgo, SECOND } from "./support/time";

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
