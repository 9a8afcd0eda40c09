import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { FeedMessage } from "../src/queue/messages";
import { cachedBadge, counters, itemCount, joinedAFastBefore, recount } from "./support/db";
import { FEED, list, mute } from "./support/feed";
import { asUser, BASE, call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { deliver } from "./support/queues";
import { freshUserOnShard, shardIndexOf, storedEventCount } from "./support/shard-rows";
import { HOUR, isoAgo } from "./support/time";

/** Preferences (issue 14): muted activity types get no new items on any write path. */

const PREFERENCES = `${FEED}preferences/`;

const expectCountersExact = async (...users: number[]) => {
  for (const user of users) expect(await counters(user), `user ${user}`).toEqual(await recount(user));
};

const typeCount = (user: number, type: string) => itemCount(user, `activity_type = '${type}'`);

describe("GET and PUT preferences", () => {
  it("a user who never chose mutes nothing", async () => {
    const response = await asUser(freshUser(), "GET", PREFERENCES);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ muted_types: [] });
  });

  it("PUT stores the muted types and answers the stored preferences; PUT [] unmutes everything", async () => {
    const user = freshUser();
    const put = await asUser(user, "PUT", PREFERENCES, { muted_types: ["fast_reminder", "milestone"] });
    expect(put.status).toBe(200);
    expect(Object.keys(put.body)).toEqual(["muted_types"]);
    expect([...put.body.muted_types].sort()).toEqual(["fast_reminder", "milestone"]);
    expect((await asUser(user, "GET", PREFERENCES)).body).toEqual(put.body);

    // A PUT replaces the whole list.
    const replaced = await asUser(user, "PUT", PREFERENCES, { muted_types: ["devotional_reminder"] });
    expect(replaced.body).toEqual({ muted_types: ["devotional_reminder"] });
    expect((await asUser(user, "GET", PREFERENCES)).body).toEqual({ muted_types: ["devotional_reminder"] });

    const cleared = await asUser(user, "PUT", PREFERENCES, { muted_types: [] });
    expect(cleared.body).toEqual({ muted_types: [] });
    expect((await asUser(user, "GET", PREFERENCES)).body).toEqual({ muted_types: [] });
  });

  it("an unknown type is 400 naming its position, and nothing is stored", async () => {
    const user = freshUser();
    await mute(user, "fast_start");
    const response = await asUser(user, "PUT", PREFERENCES, { muted_types: ["fast_reminder", "weekly_digest"] });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body)).toEqual(["muted_types.1"]);
    expect((await asUser(user, "GET", PREFERENCES)).body).toEqual({ muted_types: ["fast_start"] });
  });

  it("a type listed twice is 400", async () => {
    const user = freshUser();
    const response = await asUser(user, "PUT", PREFERENCES, { muted_types: ["milestone", "milestone"] });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ muted_types: ["Each type may appear once."] });
    expect((await asUser(user, "GET", PREFERENCES)).body).toEqual({ muted_types: [] });
  });

  it.each([
    ["no muted_types", {}, "muted_types"],
    ["muted_types not a list", { muted_types: "milestone" }, "muted_types"],
    ["an unknown field", { muted_types: [], digest: "weekly" }, "digest"],
  ])("a body with %s is 400", async (_name, body, field) => {
    const response = await asUser(freshUser(), "PUT", PREFERENCES, body);
    expect(response.status).toBe(400);
    expect(Object.keys(response.body)).toEqual([field]);
  });

  it("GET and PUT without a token are 401", async () => {
    const read = await call("GET", PREFERENCES);
    expect(read.status).toBe(401);
    expect(Object.keys(read.body)).toEqual(["detail"]);
    const write = await call("PUT", PREFERENCES, { body: { muted_types: ["milestone"] } });
    expect(write.status).toBe(401);
    expect(Object.keys(write.body)).toEqual(["detail"]);
  });

  it("one user's preferences leave another user's, on the same shard, untouched", async () => {
    const user = freshUser();
    const neighbour = freshUserOnShard(shardIndexOf(user));
    await mute(neighbour, "event");
    await mute(user, "fast_start", "event");
    expect((await asUser(neighbour, "GET", PREFERENCES)).body).toEqual({ muted_types: ["event"] });
    const created = await ingest([
      { user_id: user, activity_type: "fast_start", data: { fast_id: 1 } },
      { user_id: neighbour, activity_type: "fast_start", data: { fast_id: 1 } },
    ]);
    expect(created.created_count).toBe(1);
    expect(created.results[0]!.user_id).toBe(neighbour);
  });
});

describe("a muted type gets no new items", () => {
  it("the internal endpoint stores the event, creates no item for it, and answers muted_count", async () => {
    const user = freshUser();
    const other = freshUserOnShard(shardIndexOf(user));
    await mute(user, "devotional_available");
    await asUser(user, "GET", `${FEED}unread-count/`);
    const response = await ingest([
      { user_id: user, activity_type: "devotional_available", event_id: "muted-1", data: { fast_id: 2 } },
      { user_id: user, activity_type: "devotional_available", event_id: "muted-2", data: { fast_id: 2 } },
      { user_id: user, activity_type: "fast_start", event_id: "kept-1", data: { fast_id: 2 } },
      { user_id: other, activity_type: "devotional_available", event_id: "other-1", data: { fast_id: 2 } },
    ]);
    expect(response).toMatchObject({ created_count: 2, muted_count: 2, duplicate_count: 0 });
    expect(response.results.map((item) => [item.user_id, item.activity_type]).sort()).toEqual(
      [
        [user, "fast_start"],
        [other, "devotional_available"],
      ].sort(),
    );
    expect(await storedEventCount(user)).toBe(3);
    expect(await typeCount(user, "devotional_available")).toBe(0);
    expect(await typeCount(other, "devotional_available")).toBe(1);
    expect(await cachedBadge(user)).toEqual({ unread: 1, unseen: 1 });

    // Sent again, the muted events are duplicates (already stored), not muted a second time.
    const again = await ingest({
      user_id: user,
      activity_type: "devotional_available",
      event_id: "muted-1",
      data: { fast_id: 2 },
    });
    expect(again).toMatchObject({ created_count: 0, muted_count: 0, duplicate_count: 1 });
    await expectCountersExact(user, other);
  });

  it("items of a type created before it was muted stay, in the list and in the counts", async () => {
    const user = freshUser();
    await ingest([
      { user_id: user, activity_type: "fast_reminder", data: { fast_id: 3 } },
      { user_id: user, activity_type: "fast_start", data: { fast_id: 3 } },
    ]);
    await mute(user, "fast_reminder");
    const page = await list(user, { activity_type: "fast_reminder" });
    expect(page.count).toBe(1);
    expect((await asUser(user, "GET", `${FEED}summary/`)).body).toMatchObject({
      total_items: 2,
      unread_count: 2,
      activity_types: { fast_reminder: 1, fast_start: 1 },
    });
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body).toEqual({ unread_count: 2, unseen_count: 2 });
  });

  it("the queue consumer creates no item of a muted type, in create_item and batch_create messages", async () => {
    const user = freshUser();
    await mute(user, "milestone");
    const event = (eventId: string, type: string) => ({
      user_id: user,
      activity_type: type,
      event_id: eventId,
      data: { fast_id: 4, milestone: 100 },
    });
    const messages: FeedMessage[] = [
      { v: 1, kind: "create_item", event: event("q-muted-1", "milestone") as never },
      {
        v: 1,
        kind: "batch_create",
        events: [event("q-muted-2", "milestone"), event("q-kept-1", "fast_start")] as never,
      },
    ];
    const result = await deliver(messages);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await storedEventCount(user)).toBe(3);
    expect(await typeCount(user, "milestone")).toBe(0);
    expect(await typeCount(user, "fast_start")).toBe(1);
    await expectCountersExact(user);
  });

  async function participants(count: number, fastId: number) {
    const first = freshUser();
    // Side by side on one shard, so that one participant's preferences could be mistaken for another's.
    const users = [first, ...Array.from({ length: count - 1 }, () => freshUserOnShard(shardIndexOf(first)))];
    await joinedAFastBefore(...users);
    await ingest(
      users.map((user) => ({
        user_id: user,
        activity_type: "fast_join",
        event_id: `join-${fastId}-${user}`,
        data: { fast_id: fastId, fast_name: "Muted Fast" },
      })),
    );
    return users;
  }

  it("a reminder fan-out skips only the participants who mute its type and answers muted_count", async () => {
    const fastId = 200_000 + Math.floor(Math.random() * 1_000_000);
    const [muter, otherMuter, reminded] = await participants(3, fastId);
    await mute(muter!, "fast_reminder");
    // Muting another type does not stop this one.
    await mute(otherMuter!, "devotional_reminder");

    const response = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ targeted_users: 3, status: "completed", created_count: 2, muted_count: 1 });
    expect(await typeCount(muter!, "fast_reminder")).toBe(0);
    expect(await typeCount(otherMuter!, "fast_reminder")).toBe(1);
    expect(await typeCount(reminded!, "fast_reminder")).toBe(1);

    const devotional = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "devotional_reminder", devotional_id: 5, fast_id: fastId },
    });
    expect(devotional.body).toMatchObject({ created_count: 2, muted_count: 1 });
    expect(await typeCount(otherMuter!, "devotional_reminder")).toBe(0);
    expect(await typeCount(muter!, "devotional_reminder")).toBe(1);
    await expectCountersExact(muter!, otherMuter!, reminded!);
  });

  it("a queued reminder fan-out skips muted participants and counts them in the job's detail.muted", async () => {
    const fastId = 300_000 + Math.floor(Math.random() * 1_000_000);
    const users = await participants(4, fastId);
    await mute(users[0]!, "fast_reminder");
    await mute(users[2]!, "fast_reminder", "milestone");

    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/api/internal/reminders/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await staffToken()}`, "Content-Type": "application/json" },
        body: JSON.stringify({ kind: "fast_reminder", fast_id: fastId }),
      }),
      { ...env, USE_ASYNC_ACTIVITY_FEED: "true" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(202);
    const body = (await response.json()) as { status: string; job_id: string; targeted_users: number };
    expect(body).toMatchObject({ status: "queued", targeted_users: 4 });
    const job = await waitForJob(body.job_id);
    expect(job.affected).toBe(2);
    expect(job.detail.muted).toBe(2);
    expect(await Promise.all(users.map((user) => typeCount(user, "fast_reminder")))).toEqual([0, 1, 0, 1]);
    await expectCountersExact(...users);
  });

  it("generate and populate create no item of a muted type; unmuting and generating backfills them", async () => {
    const user = freshUser();
    const token = await staffToken();
    await mute(user, "fast_start");
    const ingested = await ingest([
      {
        user_id: user,
        activity_type: "fast_start",
        event_id: "gen-1",
        occurred_at: isoAgo(HOUR),
        data: { fast_id: 6 },
      },
      {
        user_id: user,
        activity_type: "fast_start",
        event_id: "gen-2",
        occurred_at: isoAgo(2 * HOUR),
        data: { fast_id: 6, fast_name: "Apostles Fast" },
      },
      { user_id: user, activity_type: "devotional_available", event_id: "gen-3", data: { fast_id: 6 } },
    ]);
    expect(ingested).toMatchObject({ created_count: 1, muted_count: 2 });

    const generate = () =>
      call("POST", "/api/events/activity-feed/generate/", { token, body: { user_id: user, days_back: 30 } });
    const generated = await generate();
    expect(generated.status).toBe(200);
    expect(generated.body.created_count).toBe(0);
    const populated = await call("POST", "/api/admin/populate/", { token, body: { user_id: user, days_back: 30 } });
    expect(populated.body).toMatchObject({ status: "completed", created_count: 0 });
    const everyone = await call("POST", "/api/admin/populate/", { token, body: { days_back: 1 } });
    expect(everyone.status).toBe(202);
    await waitForJob(everyone.body.job_id);
    expect(await typeCount(user, "fast_start")).toBe(0);
    await expectCountersExact(user);

    await mute(user);
    const backfilled = await generate();
    expect(backfilled.body.created_count).toBe(2);
    const page = await list(user, { activity_type: "fast_start" });
    expect(page.results.map((item) => item.title)).toEqual(["Fast #6 has begun", "Apostles Fast has begun"]);
    expect((await generate()).body.created_count).toBe(0);
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body).toEqual({ unread_count: 3, unseen_count: 3 });
    await expectCountersExact(user);
  }, 30_000);
});
