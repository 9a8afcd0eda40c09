import { beforeAll, describe, expect, it } from "vitest";
import { joinedAFastBefore } from "./support/db";
import { FEED, ids, list, type Spec, seed } from "./support/feed";
import { asUser, freshUser, ingest } from "./support/http";
import { shardIndexOf } from "./support/shard-rows";
import { DAY, HOUR, isoAgo, MINUTE, SECOND, WEEK } from "./support/time";

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

describe("item shape", () => {
  it("an item carries every field of the contract", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
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
        // The inbox states and the thumbnail, beside the original's fields.
        "is_seen",
        "seen_at",
        "is_archived",
        "archived_at",
        "target_thumbnail",
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
      target_thumbnail: null,
      is_seen: false,
      seen_at: null,
      is_archived: false,
      archived_at: null,
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
    await joinedAFastBefore(user);
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
    await joinedAFastBefore(user);
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
