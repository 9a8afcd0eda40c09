import { describe, expect, it } from "vitest";
import { cachedUnread, counters, joinedAFastBefore } from "./support/db";
import { asUser, call, freshUser, ingest, staffToken, tokenFor } from "./support/http";
import { freshUserNotOnShard, shardIndexOf, storedEventCount, storedItems } from "./support/shard-rows";
import { DAY, HOUR } from "./support/time";

const FEED = "/api/events/activity-feed/";
const MARK_READ = `${FEED}mark-read/`;
const EVENTS = "/api/internal/events/";
const TWO_MB = 2 * 1024 * 1024;

/** A 400 in the original's shape: field (dotted path) → list of messages. */
function expectFieldErrors(response: { status: number; body: unknown }, fields: string[]) {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  const body = response.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual([...fields].sort());
  for (const messages of Object.values(body)) {
    expect(Array.isArray(messages)).toBe(true);
    expect((messages as unknown[]).length).toBeGreaterThan(0);
    for (const message of messages as unknown[]) expect(typeof message).toBe("string");
  }
}

describe("feed listing rejects bad query parameters", () => {
  it.each([
    ["an unknown activity_type", "activity_type=login", "activity_type"],
    ["an empty activity_type", "activity_type=", "activity_type"],
    ["one unknown type among known ones", "activity_type=fast_join,login", "activity_type"],
    ["an activity_type in the wrong case", "activity_type=FAST_JOIN", "activity_type"],
    ["is_read that is not a boolean", "is_read=maybe", "is_read"],
    ["an empty is_read", "is_read=", "is_read"],
    ["a start_date that is not a date", "start_date=yesterday", "start_date"],
    ["a start_date with month 13", "start_date=2024-13-01", "start_date"],
    ["a start_date on February 30th", "start_date=2024-02-30", "start_date"],
    ["an end_date at hour 25", "end_date=2024-01-05T25:00:00Z", "end_date"],
    ["an end_date in another format", "end_date=05/01/2024", "end_date"],
    ["a start_date after the end_date", "start_date=2024-01-06&end_date=2024-01-05", "end_date"],
    [
      "a start datetime after the end datetime",
      "start_date=2024-01-05T12:00:00Z&end_date=2024-01-05T11:00:00Z",
      "end_date",
    ],
    ["page_size 0", "page_size=0", "page_size"],
    ["page_size 1000", "page_size=1000", "page_size"],
    ["page_size that is not a number", "page_size=ten", "page_size"],
    ["page_size that is not an integer", "page_size=2.5", "page_size"],
    ["a forged cursor", "cursor=bm90LWEtY3Vyc29y", "cursor"],
    ["a cursor that is not base64", "cursor=%25%25%25", "cursor"],
    ["an unknown pagination mode", "pagination=offset", "pagination"],
  ])("%s is 400 naming the parameter", async (_name, query, field) => {
    const response = await asUser(freshUser(), "GET", `${FEED}?${query}`);
    expectFieldErrors(response, [field]);
  });

  it("page_size 1000 says the maximum", async () => {
    const response = await asUser(freshUser(), "GET", `${FEED}?page_size=1000`);
    expect(response.body).toEqual({ page_size: ["Ensure this value is less than or equal to 100."] });
  });

  it("several bad parameters are all named", async () => {
    const response = await asUser(freshUser(), "GET", `${FEED}?activity_type=login&is_read=maybe&page_size=0`);
    expectFieldErrors(response, ["activity_type", "is_read", "page_size"]);
  });

  it.each(["0", "-1", "abc", "1.5"])("page=%s is 404 Invalid page.", async (page) => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join" });
    const response = await asUser(user, "GET", `${FEED}?page=${page}`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: "Invalid page." });
  });

  it("an empty page parameter is the first page, as Django REST framework reads it", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join" });
    const response = await asUser(user, "GET", `${FEED}?page=`);
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(1);
  });

  it("unknown query parameters are ignored", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join" });
    const response = await asUser(user, "GET", `${FEED}?utm_source=app&ordering=-id`);
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(1);
  });
});

describe("mark-read rejects bad bodies and changes nothing", () => {
  /** A user with three unread items; `unchanged()` checks nothing moved. */
  async function userWithItems() {
    const user = freshUser();
    const created = await ingest(
      [1, 2, 3].map((n) => ({ user_id: user, activity_type: "fast_join", event_id: `v-${n}` })),
    );
    const ids = created.results.map((result) => result.id);
    const countersBefore = await counters(user);
    const cacheBefore = await cachedUnread(user);
    const unchanged = async () => {
      const rows = await storedItems(user);
      expect(rows).toHaveLength(3);
      expect(rows.every((row) => row.is_read === 0 && row.read_at === null)).toBe(true);
      expect(await counters(user)).toEqual(countersBefore);
      expect(await cachedUnread(user)).toBe(cacheBefore);
      const listed = await asUser(user, "GET", `${FEED}?is_read=false`);
      expect(listed.body.count).toBe(3);
    };
    return { user, ids, unchanged };
  }

  const post = async (user: number, options: Parameters<typeof call>[2]) =>
    call("POST", MARK_READ, { token: await tokenFor(user), ...options });

  it.each<[string, (ids: number[]) => unknown, string]>([
    ["{}", () => ({}), "non_field_errors"],
    ["activity_ids that is a number", (ids) => ({ activity_ids: ids[0] }), "activity_ids"],
    ["activity_ids that is a string", (ids) => ({ activity_ids: ids.join(",") }), "activity_ids"],
    ["activity_ids that is null", () => ({ activity_ids: null }), "activity_ids"],
    ["an empty activity_ids", () => ({ activity_ids: [] }), "activity_ids"],
    ["an id that is a string", (ids) => ({ activity_ids: [ids[0], "x"] }), "activity_ids.1"],
    ["an id that is negative", (ids) => ({ activity_ids: [ids[0], ids[1], -1] }), "activity_ids.2"],
    ["an id that is not an integer", (ids) => ({ activity_ids: [1.5, ids[0]] }), "activity_ids.0"],
    ["mark_all that is a string", () => ({ mark_all: "yes" }), "mark_all"],
    ["mark_all false without ids", () => ({ mark_all: false }), "non_field_errors"],
    ["a list instead of an object", (ids) => ids, "non_field_errors"],
    ["null", () => null, "non_field_errors"],
  ])("%s is 400 and marks nothing", async (_name, makeBody, field) => {
    const { user, ids, unchanged } = await userWithItems();
    const response = await post(user, { body: makeBody(ids) });
    expectFieldErrors(response, [field]);
    await unchanged();
  });

  it("activity_ids together with mark_all: true is 400 naming the conflict and marks nothing", async () => {
    const { user, ids, unchanged } = await userWithItems();
    const response = await post(user, { body: { activity_ids: [ids[0]], mark_all: true } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ non_field_errors: ['Send "activity_ids" or "mark_all": true, not both.'] });
    await unchanged();
  });

  it("activity_ids with mark_all: false marks just those ids", async () => {
    const { user, ids } = await userWithItems();
    const response = await post(user, { body: { activity_ids: [ids[0]], mark_all: false } });
    expect(response.body).toEqual({ message: "Marked 1 items as read", updated_count: 1 });
  });

  it("1001 ids is 400 naming activity_ids with the limit", async () => {
    const { user, ids, unchanged } = await userWithItems();
    const response = await post(user, {
      body: { activity_ids: [...ids, ...Array.from({ length: 998 }, (_, n) => 5_000_000 + n)] },
    });
    expect(response.body).toEqual({ activity_ids: ["Ensure this field has no more than 1000 elements."] });
    await unchanged();
  });

  it("1000 ids are accepted", async () => {
    const { user, ids } = await userWithItems();
    const response = await post(user, {
      body: { activity_ids: [...ids, ...Array.from({ length: 997 }, (_, n) => 5_000_000 + n)] },
    });
    expect(response.status).toBe(200);
    expect(response.body.updated_count).toBe(3);
  });

  it("malformed JSON is 400 and marks nothing", async () => {
    const { user, unchanged } = await userWithItems();
    const response = await post(user, {
      rawBody: '{"mark_all": true',
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ detail: expect.stringMatching(/^JSON parse error/) });
    await unchanged();
  });

  it("a 2 MB body is 413 and marks nothing", async () => {
    const { user, unchanged } = await userWithItems();
    const rawBody = JSON.stringify({ mark_all: true, padding: "x".repeat(TWO_MB) });
    const response = await post(user, { rawBody, headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ detail: expect.any(String) });
    await unchanged();
  });

  it.each([
    ["text/plain", "text/plain"],
    ["a form", "application/x-www-form-urlencoded"],
    ["no content type", undefined],
  ])("a JSON body sent as %s is 415 and marks nothing", async (_name, contentType) => {
    const { user, unchanged } = await userWithItems();
    const headers: Record<string, string> = contentType ? { "Content-Type": contentType } : {};
    const response = await post(user, { rawBody: JSON.stringify({ mark_all: true }), headers });
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ detail: expect.any(String) });
    await unchanged();
  });

  it("application/json with a charset is accepted", async () => {
    const { user } = await userWithItems();
    const response = await post(user, {
      rawBody: JSON.stringify({ mark_all: true }),
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    expect(response.status).toBe(200);
    expect(response.body.updated_count).toBe(3);
  });
});

describe("internal events reject bad input and write nothing", () => {
  /** Two fresh users on different shards, and a check that neither got anything. */
  function twoUsers() {
    const first = freshUser();
    const second = freshUserNotOnShard(shardIndexOf(first));
    const nothingWritten = async () => {
      for (const user of [first, second]) {
        expect(await storedItems(user)).toEqual([]);
        expect(await storedEventCount(user)).toBe(0);
        expect(await counters(user)).toMatchObject({ total: 0, unread: 0, perType: {} });
        expect(await cachedUnread(user)).toBeNull();
        const listed = await asUser(user, "GET", FEED);
        expect(listed.body.count).toBe(0);
      }
    };
    return { first, second, nothingWritten };
  }

  const send = async (body: unknown, options: { rawBody?: BodyInit; headers?: Record<string, string> } = {}) =>
    call("POST", EVENTS, { token: await staffToken(), ...(options.rawBody === undefined ? { body } : {}), ...options });

  const good = (user: number, n: number) => ({
    user_id: user,
    activity_type: "fast_join",
    event_id: `ok-${n}`,
    data: { fast_id: n },
  });

  it("one invalid event in a batch rejects the whole batch, naming events.2.activity_type", async () => {
    const { first, second, nothingWritten } = twoUsers();
    const events = [good(first, 1), good(second, 2), { user_id: first, activity_type: "login" }, good(second, 3)];
    const response = await send({ events });
    expectFieldErrors(response, ["events.2.activity_type"]);
    await nothingWritten();
  });

  it("a missing user_id deep in a batch is named by its path", async () => {
    const { first, second, nothingWritten } = twoUsers();
    const events = [good(first, 1), good(second, 2), good(first, 3), { activity_type: "milestone" }];
    expectFieldErrors(await send({ events }), ["events.3.user_id"]);
    await nothingWritten();
  });

  it("an unknown field inside a batched event is named by its path", async () => {
    const { first, second, nothingWritten } = twoUsers();
    const events = [good(first, 1), { ...good(second, 2), colour: "red" }];
    const response = await send({ events });
    expect(response.body).toEqual({ "events.1.colour": ["Unknown field."] });
    await nothingWritten();
  });

  it("a batch with many invalid events names each of them", async () => {
    const { first, second, nothingWritten } = twoUsers();
    const events = [
      good(first, 1),
      { user_id: first, activity_type: "login" },
      { user_id: second, activity_type: "fast_join", occurred_at: "yesterday" },
      { activity_type: "milestone" },
      { user_id: "seven", activity_type: "milestone" },
    ];
    expectFieldErrors(await send({ events }), [
      "events.1.activity_type",
      "events.2.occurred_at",
      "events.3.user_id",
      "events.4.user_id",
    ]);
    await nothingWritten();
  });

  it("a single event with several invalid fields names each of them", async () => {
    const { first, nothingWritten } = twoUsers();
    const response = await send({ user_id: first, activity_type: "login", occurred_at: "yesterday", target_id: -1 });
    expectFieldErrors(response, ["activity_type", "occurred_at", "target_id"]);
    await nothingWritten();
  });

  it("more than 500 events is 400 naming events", async () => {
    const { first, second, nothingWritten } = twoUsers();
    const events = Array.from({ length: 501 }, (_, n) => good(n % 2 ? first : second, n));
    const response = await send({ events });
    expect(response.body).toEqual({ events: ["Send at most 500 events per request."] });
    await nothingWritten();
  });

  it("exactly 500 events are accepted", async () => {
    const { first, second } = twoUsers();
    await joinedAFastBefore(first, second); // no first-fast milestones beside the 500
    const events = Array.from({ length: 500 }, (_, n) => good(n % 2 ? first : second, n));
    const response = await send({ events });
    expect(response.status).toBe(201);
    expect(response.body.created_count).toBe(500);
  });

  it("an empty batch is 400 naming events", async () => {
    expectFieldErrors(await send({ events: [] }), ["events"]);
  });

  it("an unknown top-level field of a batch is named", async () => {
    const { first, nothingWritten } = twoUsers();
    const response = await send({ events: [good(first, 1)], priority: "high" });
    expect(response.body).toEqual({ priority: ["Unknown field."] });
    await nothingWritten();
  });

  it("an unknown field of a single event is named", async () => {
    const { first, nothingWritten } = twoUsers();
    const response = await send({ ...good(first, 1), colour: "red" });
    expect(response.body).toEqual({ colour: ["Unknown field."] });
    await nothingWritten();
  });

  it("an event with an empty body is 400", async () => {
    const response = await send({});
    expect(response.status).toBe(400);
  });

  it.each<[string, (user: number) => Record<string, unknown>, string]>([
    [
      "occurred_at two days in the future",
      (user) => ({
        user_id: user,
        activity_type: "fast_join",
        occurred_at: new Date(Date.now() + 2 * DAY).toISOString(),
      }),
      "occurred_at",
    ],
    [
      "occurred_at in the year 3000",
      (user) => ({ user_id: user, activity_type: "fast_join", occurred_at: "3000-01-01T00:00:00Z" }),
      "occurred_at",
    ],
    [
      "occurred_at without a UTC offset",
      (user) => ({ user_id: user, activity_type: "fast_join", occurred_at: "2024-01-15T10:30:00" }),
      "occurred_at",
    ],
    [
      "occurred_at before 2000",
      (user) => ({ user_id: user, activity_type: "fast_join", occurred_at: "1999-12-31T23:59:59Z" }),
      "occurred_at",
    ],
    [
      "occurred_at that is a number",
      (user) => ({ user_id: user, activity_type: "fast_join", occurred_at: 1_700_000_000 }),
      "occurred_at",
    ],
    ["an unknown activity_type", (user) => ({ user_id: user, activity_type: "login" }), "activity_type"],
    ["user_id as a string", (user) => ({ user_id: String(user), activity_type: "fast_join" }), "user_id"],
    ["user_id 0", () => ({ user_id: 0, activity_type: "fast_join" }), "user_id"],
    ["a negative user_id", () => ({ user_id: -4, activity_type: "fast_join" }), "user_id"],
    ["a fractional user_id", (user) => ({ user_id: user + 0.5, activity_type: "fast_join" }), "user_id"],
    ["data that is a list", (user) => ({ user_id: user, activity_type: "fast_join", data: [1, 2] }), "data"],
    [
      "data larger than 16 KB",
      (user) => ({ user_id: user, activity_type: "fast_join", data: { blob: "x".repeat(17_000) } }),
      "data",
    ],
    [
      "a negative target_id",
      (user) => ({ user_id: user, activity_type: "fast_join", target_type: "hub.fast", target_id: -1 }),
      "target_id",
    ],
    ["an empty title", (user) => ({ user_id: user, activity_type: "fast_join", title: "  " }), "title"],
    ["an empty event_id", (user) => ({ user_id: user, activity_type: "fast_join", event_id: "" }), "event_id"],
    ["a negative event_id", (user) => ({ user_id: user, activity_type: "fast_join", event_id: -3 }), "event_id"],
  ])("%s is 400 naming the field", async (_name, makeEvent, field) => {
    const { first, nothingWritten } = twoUsers();
    expectFieldErrors(await send(makeEvent(first)), [field]);
    await nothingWritten();
  });

  it("occurred_at far in the future inside a batch is named by its path", async () => {
    const { first, second, nothingWritten } = twoUsers();
    const events = [good(first, 1), { ...good(second, 2), occurred_at: new Date(Date.now() + 30 * DAY).toISOString() }];
    expectFieldErrors(await send({ events }), ["events.1.occurred_at"]);
    await nothingWritten();
  });

  it("occurred_at up to a day ahead is accepted (producers' clocks drift)", async () => {
    const user = freshUser();
    const response = await send({
      user_id: user,
      activity_type: "fast_join",
      occurred_at: new Date(Date.now() + HOUR).toISOString(),
    });
    expect(response.status).toBe(201);
  });

  it("malformed JSON is 400 and writes nothing", async () => {
    const { first, nothingWritten } = twoUsers();
    const rawBody = `{"events": [{"user_id": ${first}, "activity_type": "fast_join"}`;
    const response = await send(undefined, { rawBody, headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ detail: expect.stringMatching(/^JSON parse error/) });
    await nothingWritten();
  });

  it("a 2 MB body is 413 and writes nothing", async () => {
    const { first, nothingWritten } = twoUsers();
    const rawBody = JSON.stringify({ user_id: first, activity_type: "fast_join", description: "x".repeat(TWO_MB) });
    const response = await send(undefined, { rawBody, headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ detail: expect.any(String) });
    await nothingWritten();
  });

  it("a valid event sent as text/plain is 415 and writes nothing", async () => {
    const { first, nothingWritten } = twoUsers();
    const response = await send(undefined, {
      rawBody: JSON.stringify(good(first, 1)),
      headers: { "Content-Type": "text/plain" },
    });
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ detail: expect.any(String) });
    await nothingWritten();
  });
});

describe("dates are read strictly, in the query and in the body", () => {
  it.each([
    ["February 30th as a datetime", "start_date=2024-02-30T10:00:00Z", "start_date"],
    ["February 29th of a common year", "start_date=2023-02-29", "start_date"],
    ["April 31st as a datetime", "end_date=2024-04-31T00:00:00Z", "end_date"],
    ["the year 0000", "start_date=0000-01-01", "start_date"],
    ["an offset of 24 hours", "start_date=2024-01-05T10:00:00%2B24:00", "start_date"],
  ])("%s is 400 naming the parameter", async (_name, query, field) => {
    expectFieldErrors(await asUser(freshUser(), "GET", `${FEED}?${query}`), [field]);
  });

  it("an invalid date's message says how to send a + offset", async () => {
    const response = await asUser(freshUser(), "GET", `${FEED}?start_date=2024-02-30`);
    expect(response.body.start_date[0]).toContain("%2B");
  });

  it("four-digit years are read as written: 0099-12-31 comes before 0100-01-01", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join" });
    const early = await asUser(user, "GET", `${FEED}?start_date=0099-12-31&end_date=0100-01-01`);
    expect(early.status, JSON.stringify(early.body)).toBe(200);
    expect(early.body.count).toBe(0);
    const all = await asUser(user, "GET", `${FEED}?start_date=0001-01-01T00:00:00Z&end_date=9999-12-31`);
    expect(all.body.count).toBe(1);
  });

  it("February 29th of a leap year is a date", async () => {
    const response = await asUser(freshUser(), "GET", `${FEED}?start_date=2024-02-29&end_date=2024-02-29T23:00:00Z`);
    expect(response.status).toBe(200);
  });

  it("an unencoded + offset (arrived as a space) is read as +", async () => {
    const user = freshUser();
    const at = Date.now() - 2 * HOUR;
    await ingest({ user_id: user, activity_type: "fast_join", occurred_at: new Date(at).toISOString() });
    // The same instants written in UTC+02:00, the + left unencoded as browsers send it.
    const plusTwo = (epochMs: number, plus: string) =>
      `${new Date(epochMs + 2 * HOUR).toISOString().slice(0, 19)}${plus}02:00`;
    for (const plus of ["+", "%20", "%2B"]) {
      const before = await asUser(user, "GET", `${FEED}?start_date=${plusTwo(at - 30 * 60_000, plus)}`);
      expect(before.status, JSON.stringify(before.body)).toBe(200);
      expect(before.body.count).toBe(1);
      const after = await asUser(user, "GET", `${FEED}?start_date=${plusTwo(at + 30 * 60_000, plus)}`);
      expect(after.body.count).toBe(0);
    }
  });

  it.each(["2024-02-30T10:00:00Z", "2023-02-29T10:00:00Z", "2024-04-31T10:00:00Z", "2024-01-01T24:00:00Z"])(
    "occurred_at %s is 400 and writes nothing",
    async (occurredAt) => {
      const user = freshUser();
      const response = await call("POST", EVENTS, {
        token: await staffToken(),
        body: { events: [{ user_id: user, activity_type: "fast_join", occurred_at: occurredAt }] },
      });
      expectFieldErrors(response, ["events.0.occurred_at"]);
      expect(await storedEventCount(user)).toBe(0);
    },
  );

  it("occurred_at on February 29th of a leap year, with an offset, is stored as that instant", async () => {
    const user = freshUser();
    const created = await ingest({
      user_id: user,
      activity_type: "fast_join",
      occurred_at: "2024-02-29T23:30:00-01:00",
    });
    expect(created.results[0]?.created_at).toBe("2024-03-01T00:30:00.000Z");
  });
});

describe("integer parameters are plain decimal integers", () => {
  it.each(["0x10", "0b11", "0o7", "1e1", "16.0", "1_0", "Infinity"])(
    "page_size=%s is 400 'A valid integer is required.'",
    async (value) => {
      const response = await asUser(freshUser(), "GET", `${FEED}?page_size=${value}`);
      expect(response.body).toEqual({ page_size: ["A valid integer is required."] });
    },
  );

  it("page_size with spaces around it, or a leading zero, is still an integer", async () => {
    const response = await asUser(freshUser(), "GET", `${FEED}?page_size=%2007%20`);
    expect(response.status).toBe(200);
  });

  it("page_size=-1 says the minimum", async () => {
    const response = await asUser(freshUser(), "GET", `${FEED}?page_size=-1`);
    expect(response.body).toEqual({ page_size: ["Ensure this value is greater than or equal to 1."] });
  });

  it.each(["0x2", "1e1", "2.0"])("page=%s is 404 Invalid page., never read as a number", async (page) => {
    const user = freshUser();
    await ingest([1, 2, 3].map((n) => ({ user_id: user, activity_type: "fast_join", event_id: `p-${n}` })));
    const response = await asUser(user, "GET", `${FEED}?page_size=1&page=${page}`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: "Invalid page." });
  });

  it.each([
    ["/api/admin/jobs/?limit=0x10", "limit"],
    ["/api/admin/stats/?user_id=1e1", "user_id"],
  ])("%s is 400 'A valid integer is required.'", async (path, field) => {
    const response = await call("GET", path, { token: await staffToken() });
    expect(response.body).toEqual({ [field]: ["A valid integer is required."] });
  });
});

describe("size limits are in UTF-8 bytes", () => {
  const send = async (event: Record<string, unknown>) =>
    call("POST", EVENTS, { token: await staffToken(), body: event });

  it("data of 9,000 Greek letters (18,000 bytes, fewer characters than the limit) is 400 naming the limit", async () => {
    const user = freshUser();
    const response = await send({ user_id: user, activity_type: "event", data: { text: "α".repeat(9_000) } });
    expect(response.body).toEqual({ data: ["Ensure this object has no more than 16384 bytes as JSON (UTF-8)."] });
    expect(await storedEventCount(user)).toBe(0);
  });

  it("data of 16,384 bytes exactly is accepted", async () => {
    const user = freshUser();
    // {"text":"…"} is 11 bytes of ASCII around the Greek.
    const response = await send({ user_id: user, activity_type: "event", data: { text: `${"α".repeat(8_186)}x` } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it.each([
    ["a title of 400 Chinese characters (1,200 bytes)", { title: "道".repeat(400) }, "title", 1024],
    ["a description of 3,000 Ethiopic letters (9,000 bytes)", { description: "ሀ".repeat(3_000) }, "description", 8192],
    ["an event_id of 100 Greek letters (200+ bytes)", { event_id: "λ".repeat(101) }, "event_id", 200],
  ])("%s is 400 naming the field and its limit", async (_name, fields, field, limit) => {
    const user = freshUser();
    const response = await send({ user_id: user, activity_type: "event", ...fields });
    expect(response.body).toEqual({ [field]: [`Ensure this field has no more than ${limit} bytes (UTF-8).`] });
    expect(await storedEventCount(user)).toBe(0);
  });

  it("a title of 255 characters of any script, as the original allowed, is accepted", async () => {
    const response = await send({ user_id: freshUser(), activity_type: "event", title: "道".repeat(255) });
    expect(response.status).toBe(201);
  });

  it("a restore key of 1,000 characters but 2,000 bytes is 400 naming key, not a 500 from R2", async () => {
    const response = await call("POST", "/api/admin/archive/restore/", {
      token: await staffToken(),
      body: { key: "α".repeat(1_000) },
    });
    expect(response.body).toEqual({ key: ["Ensure this field has no more than 1024 bytes (UTF-8)."] });
  });

  it("a restore key of 1,024 bytes reaches R2 and is 404 when there is no such archive", async () => {
    const response = await call("POST", "/api/admin/archive/restore/", {
      token: await staffToken(),
      body: { key: `archives/${"x".repeat(1_015)}` },
    });
    expect(response.status).toBe(404);
  });
});

describe("400 bodies speak DRF's words", () => {
  const MARK_READ_CASES: [string, unknown, Record<string, string[]>][] = [
    [
      "a body that is not an object",
      [1, 2],
      { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] },
    ],
    ["a null body", null, { non_field_errors: ["Invalid data. Expected a dictionary, but got NoneType."] }],
    [
      "activity_ids as a string",
      { activity_ids: "1,2" },
      { activity_ids: ['Expected a list of items but got type "str".'] },
    ],
    ["activity_ids as null", { activity_ids: null }, { activity_ids: ["This field may not be null."] }],
    ["an empty activity_ids", { activity_ids: [] }, { activity_ids: ["This list may not be empty."] }],
    ["an id 0", { activity_ids: [0] }, { "activity_ids.0": ["Ensure this value is greater than or equal to 1."] }],
    ["an id as a string", { activity_ids: ["x"] }, { "activity_ids.0": ["A valid integer is required."] }],
    ["a fractional id", { activity_ids: [1.5] }, { "activity_ids.0": ["A valid integer is required."] }],
    [
      "an id past 2^53",
      { activity_ids: [2 ** 60] },
      { "activity_ids.0": ["Ensure this value is less than or equal to 9007199254740991."] },
    ],
    ["mark_all as a string", { mark_all: "yes" }, { mark_all: ["Must be a valid boolean."] }],
  ];

  it.each(MARK_READ_CASES)("mark-read with %s", async (_name, body, expected) => {
    const response = await asUser(freshUser(), "POST", MARK_READ, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(expected);
  });

  it.each<[string, string, Record<string, string[]>]>([
    ["is_read=maybe", "is_read=maybe", { is_read: ["Must be a valid boolean."] }],
    ["pagination=offset", "pagination=offset", { pagination: ['"offset" is not a valid choice.'] }],
    ["page_size=0", "page_size=0", { page_size: ["Ensure this value is greater than or equal to 1."] }],
    [
      "a cursor of 201 characters",
      `cursor=${"x".repeat(201)}`,
      { cursor: ["Ensure this field has no more than 200 characters."] },
    ],
  ])("the feed with %s", async (_name, query, expected) => {
    const response = await asUser(freshUser(), "GET", `${FEED}?${query}`);
    expect(response.body).toEqual(expected);
  });

  const staffPost = async (path: string, body: unknown) => call("POST", path, { token: await staffToken(), body });

  it.each<[string, string, unknown, Record<string, string[]>]>([
    [
      "an unknown activity_type",
      EVENTS,
      { user_id: 1, activity_type: "nope" },
      { activity_type: ['"nope" is not a valid choice.'] },
    ],
    ["a missing user_id", EVENTS, { activity_type: "fast_join" }, { user_id: ["This field is required."] }],
    [
      "user_id 0",
      EVENTS,
      { user_id: 0, activity_type: "fast_join" },
      { user_id: ["Ensure this value is greater than or equal to 1."] },
    ],
    [
      "user_id as a word",
      EVENTS,
      { user_id: "seven", activity_type: "fast_join" },
      { user_id: ["A valid integer is required."] },
    ],
    [
      "a blank title",
      EVENTS,
      { user_id: 1, activity_type: "fast_join", title: " " },
      { title: ["This field may not be blank."] },
    ],
    [
      "data that is a list",
      EVENTS,
      { user_id: 1, activity_type: "fast_join", data: [1] },
      { data: ['Expected a dictionary of items but got type "list".'] },
    ],
    [
      "an unknown reminder kind",
      "/api/internal/reminders/",
      { kind: "nope", fast_id: 1 },
      { kind: ['"nope" is not a valid choice.'] },
    ],
    ["a reminder without kind", "/api/internal/reminders/", { fast_id: 1 }, { kind: ["This field is required."] }],
    [
      "an unknown cleanup type",
      "/api/admin/cleanup/",
      { activity_type: "nope" },
      { activity_type: ['"nope" is not a valid choice.'] },
    ],
    ["dry_run as a string", "/api/admin/cleanup/", { dry_run: "yes" }, { dry_run: ["Must be a valid boolean."] }],
    [
      "older_than_days past its limit",
      "/api/admin/archive/",
      { older_than_days: 40_000 },
      { older_than_days: ["Ensure this value is less than or equal to 36500."] },
    ],
  ])("%s", async (_name, path, body, expected) => {
    const response = await staffPost(path, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(expected);
  });

  it("no 400 carries the validator's own wording", async () => {
    const token = await staffToken();
    const bodies: [string, unknown][] = [
      [
        EVENTS,
        { user_id: -1, activity_type: 7, target_type: "", target_id: "x", data: "d", occurred_at: 5, event_id: -3 },
      ],
      [EVENTS, { events: [{ user_id: 1.5, activity_type: null, description: "x".repeat(2001) }] }],
      [
        "/api/internal/reminders/",
        { kind: "fast_reminder", fast_id: "1", fast_name: "", reminder_type: "x".repeat(51) },
      ],
      ["/api/internal/reminders/", { kind: "devotional_reminder", devotional_id: 0, fast_id: null, video_title: 3 }],
      ["/api/admin/cleanup/", { older_than_days: 0, only_read: 1, archive: "no", activity_type: "" }],
      ["/api/admin/populate/", { user_id: "1", days_back: 0, dry_run: null }],
      ["/api/admin/archive/restore/", { key: "" }],
      ["/api/events/activity-feed/generate/", { user_id: 1, days_back: 5000 }],
    ];
    for (const [path, body] of bodies) {
      const response = await call("POST", path, { token, body });
      expect(response.status, path).toBe(400);
      const messages = Object.values(response.body as Record<string, string[]>).flat();
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages)
        expect(message).not.toMatch(/Invalid input|Invalid option|Too (small|big)|expected /);
    }
  });
});
