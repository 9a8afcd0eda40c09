import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import {
  countersQuery,
  type FeedFilters,
  type PageWindow,
  readFeedPage,
  recentItemsQuery,
} from "../src/db/feed-queries";
import { changeItemStates, type StateChange, type StateTarget } from "../src/db/item-states";
import { deleteItemsStatement, expiredArchiveLines, expiredKeys } from "../src/db/retention-queries";
import { schema } from "../src/db/schema";
import type { Shard } from "../src/shards/router";

/**
 * The hot queries' plans, as SQLite will run them. The SQL is not copied here:
 * the code's own query functions run against SHARD_0 through a recorder that
 * keeps every statement and its parameters, and each one is then explained
 * with `EXPLAIN QUERY PLAN` and the same parameters.
 */

interface Issued {
  sql: string;
  params: unknown[];
}

function recordingShard(): { shard: Shard; issued: Issued[] } {
  const real = env.SHARD_0!;
  const issued: Issued[] = [];
  const wrap = (statement: D1PreparedStatement, record: Issued): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "bind") {
          return (...params: unknown[]) => {
            record.params = params;
            issued.push(record);
            return target.bind(...params);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const d1 = new Proxy(real, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          // Recorded when bound: a statement drizzle compiles once per isolate is prepared and never run.
          const record: Issued = { sql, params: [] };
          return wrap(target.prepare(sql), record);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { shard: { index: 0, d1, db: drizzle(d1, { schema }) }, issued };
}

async function planOf({ sql, params }: Issued): Promise<string[]> {
  const { results } = await env
    .SHARD_0!.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

// Far outside freshUser()'s range: these rows never meet another test's.
const USER = 8_000_000_000_001;
const WINDOW: PageWindow = { limit: 21 };

/** The plans of the feed_items statements a listing issues (the counters read is checked apart). */
async function listingPlans(filters: FeedFilters, window: PageWindow = WINDOW) {
  const { shard, issued } = recordingShard();
  await readFeedPage(shard, USER, filters, window);
  const reads = issued.filter(
    (statement) => /from "feed_items"/i.test(statement.sql) && !/count\(/i.test(statement.sql),
  );
  expect(reads.length).toBeGreaterThan(0);
  return Promise.all(reads.map(async (statement) => ({ sql: statement.sql, plan: await planOf(statement) })));
}

function expectIndexedWithoutSort(plan: string[], index: string) {
  const text = plan.join(" | ");
  expect(text, text).toMatch(new RegExp(`^SEARCH feed_items USING (COVERING )?INDEX ${index} \\(user_id=\\?`));
  expect(text, text).not.toContain("USE TEMP B-TREE");
  expect(text, text).not.toMatch(/SCAN feed_items/);
}

describe("query plans of the hot paths", () => {
  beforeAll(async () => {
    // A few rows so the tables are not empty; plans must not depend on it.
    const rows = Array.from({ length: 200 }, (_, n) => ({
      type: ["fast_join", "milestone", "fast_reminder"][n % 3],
      at: 1_700_000_000_000 + n * 60_000,
      read: n % 2,
    }));
    await env
      .SHARD_0!.prepare(
        `INSERT INTO feed_items (user_id, activity_type, title, created_at, is_read)
       SELECT ?1, r.value ->> 'type', 'plan', r.value ->> 'at', r.value ->> 'read' FROM json_each(?2) AS r`,
      )
      .bind(USER, JSON.stringify(rows))
      .run();
  });

  it("the newest-first listing (the inbox) walks feed_items_user_inbox without sorting", async () => {
    const [listing] = await listingPlans({});
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox");
  });

  it("the newest-first listing with a date range stays on feed_items_user_inbox without sorting", async () => {
    const [listing] = await listingPlans({ startAt: 1_700_000_000_000, endBefore: 1_700_100_000_000 });
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox");
    expect(listing!.plan.join(" ")).toMatch(/created_at>\? AND created_at<\?/);
  });

  it("the unread listing uses the partial index feed_items_user_inbox_unread without sorting", async () => {
    const [listing] = await listingPlans({ isRead: false });
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox_unread");
  });

  it("the unseen listing uses the partial index feed_items_user_inbox_unseen without sorting", async () => {
    const [listing] = await listingPlans({ isSeen: false });
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox_unseen");
  });

  it("the archived listing uses the partial index feed_items_user_archived without sorting", async () => {
    const [listing] = await listingPlans({ archived: "only" });
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_archived");
  });

  it("archived=include walks every item through feed_items_user_created, and its unread ones through feed_items_user_unread", async () => {
    expectIndexedWithoutSort((await listingPlans({ archived: "include" }))[0]!.plan, "feed_items_user_created");
    expectIndexedWithoutSort(
      (await listingPlans({ archived: "include", isRead: false }))[0]!.plan,
      "feed_items_user_unread",
    );
    expectIndexedWithoutSort(
      (await listingPlans({ archived: "include", types: ["milestone"] }))[0]!.plan,
      "feed_items_user_type",
    );
  });

  it("the type listing uses feed_items_user_inbox_type without sorting", async () => {
    const [listing] = await listingPlans({ types: ["fast_join"] });
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox_type");
    expect(listing!.plan.join(" ")).toContain("activity_type=?");
  });

  it("a listing of several types reads each type through feed_items_user_inbox_type without sorting", async () => {
    const listings = await listingPlans({ types: ["fast_join", "milestone", "fast_reminder"] });
    expect(listings).toHaveLength(3);
    for (const listing of listings) expectIndexedWithoutSort(listing.plan, "feed_items_user_inbox_type");
  });

  it("the keyset condition (reading older) is an index range SEARCH, not a scan", async () => {
    const [listing] = await listingPlans({}, { limit: 21, olderThan: { createdAt: 1_700_000_600_000, localId: 50 } });
    expect(listing!.sql).toMatch(/\("feed_items"\."created_at", "feed_items"\."id"\) < \(\?, \?\)/);
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox");
    expect(listing!.plan.join(" ")).toMatch(/user_id=\? AND .*created_at<\?/);
  });

  it("the keyset condition (reading newer) is an index range SEARCH, not a scan", async () => {
    const [listing] = await listingPlans({}, { limit: 21, newerThan: { createdAt: 1_700_000_600_000, localId: 50 } });
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox");
    expect(listing!.plan.join(" ")).toMatch(/user_id=\? AND .*created_at>\?/);
  });

  it("the keyset condition with a type filter is an index range SEARCH on feed_items_user_inbox_type", async () => {
    const [listing] = await listingPlans(
      { types: ["milestone"] },
      { limit: 21, olderThan: { createdAt: 1_700_000_600_000, localId: 50 } },
    );
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox_type");
    expect(listing!.plan.join(" ")).toMatch(/activity_type=\? AND .*created_at<\?/);
  });

  it("the keyset condition on the unread listing is an index range SEARCH on feed_items_user_inbox_unread", async () => {
    const [listing] = await listingPlans(
      { isRead: false },
      { limit: 21, olderThan: { createdAt: 1_700_000_600_000, localId: 50 } },
    );
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox_unread");
    expect(listing!.plan.join(" ")).toMatch(/created_at<\?/);
  });

  it("a cursor issued on another shard (its user moved) stays an index range; its row is found by public id", async () => {
    const [listing] = await listingPlans(
      {},
      { limit: 21, olderThan: { createdAt: 1_700_000_600_000, itemId: 50 * 1024 + 1 } },
    );
    const plan = listing!.plan.join(" | ");
    expectIndexedWithoutSort(listing!.plan, "feed_items_user_inbox");
    expect(plan, plan).toMatch(/user_id=\? AND .*created_at<\?/);
    expect(plan, plan).toMatch(
      /SCALAR SUBQUERY .*SEARCH moved USING (COVERING )?INDEX feed_items_user_public_id \(user_id=\? AND public_id=\?\)/,
    );
  });

  it("the count of a date-filtered listing is answered from an index", async () => {
    const { shard, issued } = recordingShard();
    await readFeedPage(shard, USER, { startAt: 1_700_000_000_000, types: ["fast_join", "milestone"] }, WINDOW);
    const counting = issued.find((statement) => /count\(/i.test(statement.sql));
    expect(counting, "a date filter must count rows, not read the counters").toBeDefined();
    const plan = (await planOf(counting!)).join(" | ");
    expect(plan, plan).toMatch(/^SEARCH feed_items USING (COVERING )?INDEX feed_items_user_inbox(_type)? \(user_id=\?/);
  });

  it("the counters lookup uses the primary key", async () => {
    const { shard, issued } = recordingShard();
    await countersQuery(shard, USER);
    expect(issued).toHaveLength(1);
    expect(await planOf(issued[0]!)).toEqual(["SEARCH user_feed_counters USING PRIMARY KEY (user_id=?)"]);
    // The listing reads the same counters for its count.
    const listing = recordingShard();
    await readFeedPage(listing.shard, USER, {}, WINDOW);
    const counters = listing.issued.find((statement) => /user_feed_counters/.test(statement.sql));
    expect(await planOf(counters!)).toEqual(["SEARCH user_feed_counters USING PRIMARY KEY (user_id=?)"]);
  });

  it("the summary's recent items walk feed_items_user_inbox without sorting", async () => {
    const { shard, issued } = recordingShard();
    await recentItemsQuery(shard, USER, 5);
    expectIndexedWithoutSort(await planOf(issued[0]!), "feed_items_user_inbox");
  });

  describe("state changes", () => {
    async function markReadPlans(target: StateTarget, change: StateChange = "read") {
      const { shard, issued } = recordingShard();
      // A user with no rows: the statements are real, nothing changes.
      await changeItemStates(shard, USER + 1, change, target, Date.now());
      return Promise.all(
        issued.map(async (statement) => ({ sql: statement.sql, plan: (await planOf(statement)).join(" | ") })),
      );
    }

    it.each([
      ["read", {}, "feed_items_user_inbox_unread", /\(user_id=\?\)/],
      [
        "read",
        { createdAtOrBefore: 1_700_000_000_000 },
        "feed_items_user_inbox_unread",
        /\(user_id=\? AND created_at<\?\)/,
      ],
      ["seen", {}, "feed_items_user_inbox_unseen", /\(user_id=\?\)/],
      [
        "seen",
        { createdAtOrBefore: 1_700_000_000_000 },
        "feed_items_user_inbox_unseen",
        /\(user_id=\? AND created_at<\?\)/,
      ],
      ["archive", {}, "feed_items_user_inbox", /\(user_id=\?\)/],
      ["archive", { types: ["fast_reminder"] }, "feed_items_user_inbox_type", /\(user_id=\? AND activity_type=\?\)/],
    ] as const)(
      "mark_all (%s, %o) touches only the rows it changes, through %s",
      async (change, bounds, index, range) => {
        const update = (await markReadPlans({ all: true, ...bounds }, change)).find((statement) =>
          /^UPDATE/i.test(statement.sql.trim()),
        );
        expect(update!.plan, update!.plan).toMatch(new RegExp(`^SEARCH feed_items USING (COVERING )?INDEX ${index} `));
        expect(update!.plan, update!.plan).toMatch(range);
      },
    );

    it("mark-read by ids looks the ids up by primary key instead of scanning the user's unread rows", async () => {
      // Scanning every unread row of the user costs D1 rows read on each call
      // (a user with 10,000 unread items pays 10,000 to mark one).
      const update = (await markReadPlans({ localIds: [1, 2, 3] })).find((statement) =>
        /^UPDATE/i.test(statement.sql.trim()),
      );
      expect(update!.plan, update!.plan).toMatch(/^SEARCH feed_items USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    });

    it("mark-read by ids kept from another shard finds them through feed_items_user_public_id", async () => {
      const updates = (await markReadPlans({ localIds: [1], publicIds: [5 * 1024 + 2] })).filter((statement) =>
        /^UPDATE/i.test(statement.sql.trim()),
      );
      expect(updates).toHaveLength(2);
      expect(updates[1]!.plan, updates[1]!.plan).toMatch(
        /^SEARCH feed_items USING INDEX feed_items_user_public_id \(user_id=\? AND public_id=\?\)/,
      );
    });

    it("mark-read by ids of a user no reshard moved issues the primary-key update alone", async () => {
      const updates = (await markReadPlans({ localIds: [1, 2] })).filter((statement) =>
        /^UPDATE/i.test(statement.sql.trim()),
      );
      expect(updates).toHaveLength(1);
    });

    it("the unread count read around the update uses the counters' primary key", async () => {
      const reads = (await markReadPlans({ all: true })).filter((statement) =>
        /user_feed_counters/.test(statement.sql),
      );
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads)
        expect(read.plan, read.plan).toMatch(/^SEARCH user_feed_counters USING PRIMARY KEY \(user_id=\?\)/);
    });
  });

  describe("retention", () => {
    it.each([
      ["all rows", false, false],
      ["read rows only", true, false],
      ["resumed after a position", false, true],
    ])(
      "the cleanup scan of one type by age (%s) uses feed_items_type_created without sorting",
      async (_name, onlyRead, keyset) => {
        const { shard, issued } = recordingShard();
        const after = keyset ? { createdAt: 1_700_000_000_000, id: 10 } : undefined;
        await expiredKeys(shard, "fast_reminder", 1_700_000_600_000, onlyRead, after, 500);
        await expiredArchiveLines(shard, "fast_reminder", 1_700_000_600_000, onlyRead, after, 500);
        const scans = issued.filter((statement) => /from "feed_items"/i.test(statement.sql));
        expect(scans).toHaveLength(2);
        for (const scan of scans) {
          const plan = (await planOf(scan)).join(" | ");
          expect(plan, plan).toMatch(
            /^SEARCH feed_items USING (COVERING )?INDEX feed_items_type_created \(activity_type=\? AND created_at/,
          );
          expect(plan, plan).not.toContain("USE TEMP B-TREE");
        }
      },
    );

    it("the cleanup delete looks its ids up by primary key", async () => {
      const { shard, issued } = recordingShard();
      await deleteItemsStatement(shard, [999_999_999]).run();
      const plan = (await planOf(issued[0]!)).join(" | ");
      expect(plan, plan).toMatch(/SEARCH feed_items USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    });
  });
});
