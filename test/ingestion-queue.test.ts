import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { FeedMessage } from "../src/queue/messages";
import { cachedUnread, counters, itemCount, joinedAFastBefore, recount, shardOf, userOnShard } from "./support/db";
import { asUser, BASE, call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { deliver } from "./support/queues";

const createItem = (event: Record<string, unknown>): FeedMessage => ({
  v: 1,
  kind: "create_item",
  event: event as never,
});

describe("queue consumer: event messages", () => {
  it("a create_item message creates the item (and a first join's milestone) and keeps counters and cache right", async () => {
    const user = freshUser();
    const result = await deliver([
      createItem({
        user_id: user,
        activity_type: "fast_join",
        event_id: "q-1",
        data: { fast_id: 5, fast_name: "Dormition Fast" },
      }),
    ]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
    const feed = await asUser(user, "GET", "/api/events/activity-feed/");
    expect(feed.body.results.map((item: { title: string }) => item.title)).toEqual([
      "Joined your first fast",
      "Joined Dormition Fast",
    ]);
    expect(await counters(user)).toEqual(await recount(user));
    expect(await cachedUnread(user)).toBe(2);
  });

  it("the same message delivered twice creates one item", async () => {
    const user = freshUser();
    const body = createItem({ user_id: user, activity_type: "milestone", data: { fast_id: 5, milestone: 100 } });
    await deliver([body], { ids: ["redelivered-1"] });
    await deliver([body], { ids: ["redelivered-1"], attempts: 2 });
    expect(await itemCount(user)).toBe(1);
    expect(await cachedUnread(user)).toBe(1);
  });

  it("duplicates inside one batch, and across two messages with the same event_id, create one item", async () => {
    const user = freshUser();
    const event = {
      user_id: user,
      activity_type: "fast_start",
      event_id: "dup-in-batch",
      data: { fast_id: 9, fast_name: "Lent" },
    };
    const result = await deliver([
      { v: 1, kind: "batch_create", events: [event, event, { ...event, event_id: "other" }] },
      createItem(event),
    ]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await itemCount(user)).toBe(2);
    expect(await counters(user)).toEqual(await recount(user));
    expect(await cachedUnread(user)).toBe(2);
  });

  it("a batch of 100 messages over every shard is written and acked one by one", async () => {
    const users = [0, 1, 2, 3].map((shard) => userOnShard(shard, freshUser()));
    const bodies = Array.from({ length: 100 }, (_, index) =>
      createItem({
        user_id: users[index % 4],
        activity_type: "devotional_available",
        event_id: `bulk-${index}`,
        data: { fast_id: 1, devotional_id: index + 1 },
      }),
    );
    const result = await deliver(bodies);
    expect(result.explicitAcks).toHaveLength(100);
    for (const user of users) {
      expect(await itemCount(user)).toBe(25);
      expect(await cachedUnread(user)).toBe(25);
    }
  });

  it("a malformed message is acked and not retried", async () => {
    const result = await deliver([
      { v: 1, kind: "create_item", event: { user_id: "nope" } },
      { hello: "world" },
      "not even an object",
    ]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(3);
  });

  it("when one shard fails mid-batch, only messages with events on it are retried, and a redelivery completes them without doubles", async () => {
    const healthy = userOnShard(0, freshUser());
    const failing = userOnShard(2, freshUser());
    await joinedAFastBefore(healthy, failing);
    const failingShard = shardOf(failing);
    // A real failure inside D1: the shard refuses this user's events.
    await failingShard
      .prepare(
        `CREATE TRIGGER fail_user_${failing} BEFORE INSERT ON events WHEN NEW.user_id = ${failing} BEGIN SELECT RAISE(ABORT, 'simulated outage'); END`,
      )
      .run();
    const messages = [
      createItem({ user_id: healthy, activity_type: "fast_join", event_id: "h-1", data: { fast_id: 1 } }),
      createItem({ user_id: failing, activity_type: "fast_join", event_id: "f-1", data: { fast_id: 1 } }),
      {
        v: 1,
        kind: "batch_create",
        events: [
          { user_id: healthy, activity_type: "milestone", event_id: "h-2" },
          { user_id: failing, activity_type: "milestone", event_id: "f-2" },
        ],
      },
    ];
    const ids = ["mid-1", "mid-2", "mid-3"];
    const first = await deliver(messages, { ids });
    expect(first.explicitAcks).toEqual(["mid-1"]);
    expect(first.retryMessages.map((retry) => retry.msgId).sort()).toEqual(["mid-2", "mid-3"]);
    expect(await itemCount(healthy)).toBe(2);
    expect(await itemCount(failing)).toBe(0);

    await failingShard.prepare(`DROP TRIGGER fail_user_${failing}`).run();
    const retry = await deliver([messages[1], messages[2]], { ids: ["mid-2", "mid-3"], attempts: 2 });
    expect(retry.explicitAcks.sort()).toEqual(["mid-2", "mid-3"]);
    expect(await itemCount(healthy)).toBe(2);
    expect(await itemCount(failing)).toBe(2);
    for (const user of [healthy, failing]) {
      expect(await counters(user)).toEqual(await recount(user));
      expect(await cachedUnread(user)).toBe(2);
    }
  });
});

describe("sync and async modes of POST /api/internal/events/", () => {
  it("sync mode (default) answers 201 with the created items: a first join brings its milestone", async () => {
    const user = freshUser();
    const response = await ingest({
      user_id: user,
      activity_type: "fast_join",
      data: { fast_id: 3, fast_name: "Apostles Fast" },
    });
    expect(response.created_count).toBe(2);
    expect(
      response.results.map((item: { activity_type: string; title: string }) => [item.activity_type, item.title]),
    ).toEqual([
      ["fast_join", "Joined Apostles Fast"],
      ["milestone", "Joined your first fast"],
    ]);
    expect(await itemCount(user)).toBe(2);
  });

  it("async mode answers 202 at once and the consumer creates the items", async () => {
    const user = freshUser();
    const asyncEnv = { ...env, USE_ASYNC_ACTIVITY_FEED: "true" };
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/api/internal/events/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await staffToken()}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          events: [
            { user_id: user, activity_type: "fast_join", data: { fast_id: 3 } },
            { user_id: user, activity_type: "fast_start", data: { fast_id: 3 } },
          ],
        }),
      }),
      asyncEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "queued", queued_count: 2 });
    // Two events, and the milestone of the user's first join.
    await eventuallyEqual(() => itemCount(user), 3);
    expect(await cachedUnread(user)).toBe(3);
  });

  it("async mode still rejects invalid events with 400 and queues nothing", async () => {
    const user = freshUser();
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/api/internal/events/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await staffToken()}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          events: [
            { user_id: user, activity_type: "fast_join" },
            { user_id: user, activity_type: "bogus" },
          ],
        }),
      }),
      { ...env, USE_ASYNC_ACTIVITY_FEED: "1" },
      ctx,
    );
    expect(response.status).toBe(400);
    expect(Object.keys((await response.json()) as object)).toEqual(["events.1.activity_type"]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await itemCount(user)).toBe(0);
  });
});

async function eventuallyEqual(read: () => Promise<number>, expected: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  expect(value).toBe(expected);
}

describe("participation", () => {
  it("join, leave, rejoin: a user is a participant from the latest join until a later leave", async () => {
    const user = freshUser();
    const fastId = 70_000 + Math.floor(Math.random() * 1_000_000);
    const isParticipant = async () =>
      (
        await shardOf(user)
          .prepare("SELECT is_participant AS p FROM fast_participants WHERE fast_id = ? AND user_id = ?")
          .bind(fastId, user)
          .first<{ p: number }>()
      )?.p;
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

    await ingest({ user_id: user, activity_type: "fast_join", occurred_at: at(30), data: { fast_id: fastId } });
    expect(await isParticipant()).toBe(1);
    await ingest({ user_id: user, activity_type: "fast_leave", occurred_at: at(20), data: { fast_id: fastId } });
    expect(await isParticipant()).toBe(0);
    // A late-arriving older join does not undo the later leave.
    await ingest({ user_id: user, activity_type: "fast_join", occurred_at: at(25), data: { fast_id: fastId } });
    expect(await isParticipant()).toBe(0);
    await ingest({ user_id: user, activity_type: "fast_join", occurred_at: at(10), data: { fast_id: fastId } });
    expect(await isParticipant()).toBe(1);

    const reminder = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId, fast_name: "Rejoined Fast" },
    });
    expect(reminder.status).toBe(201);
    expect(reminder.body).toMatchObject({ targeted_users: 1, created_count: 1, status: "completed" });
  });
});

describe("reminder fan-out", () => {
  async function joinAll(users: number[], fastId: number, fastName: string) {
    await joinedAFastBefore(...users); // their milestones are not what these tests count
    for (let start = 0; start < users.length; start += 500) {
      await ingest(
        users.slice(start, start + 500).map((user) => ({
          user_id: user,
          activity_type: "fast_join",
          event_id: `join-${fastId}-${user}`,
          data: { fast_id: fastId, fast_name: fastName },
        })),
      );
    }
  }

  it("a participant alone on their shard gets no badge written unless one was cached", async () => {
    // A chunk of one user is not a request of that user: the cache is looked at, as for many.
    const fastId = 80_000 + Math.floor(Math.random() * 1_000_000);
    const user = freshUser();
    await joinAll([user], fastId, "Dormition Fast");
    // Not opened the app: no badge cached (a producer's single event may have written one).
    await env.UNREAD_CACHE.delete(`unread:${user}`);
    const response = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(response.body).toMatchObject({ targeted_users: 1, created_count: 1 });
    expect(await cachedUnread(user)).toBeNull();
  });

  it("a small reminder completes in the request: one item per participant, titled as the original", async () => {
    const fastId = 80_000 + Math.floor(Math.random() * 1_000_000);
    const users = Array.from({ length: 12 }, () => freshUser());
    await joinAll(users, fastId, "Nativity Fast");
    const leaver = users.pop()!;
    await ingest({ user_id: leaver, activity_type: "fast_leave", data: { fast_id: fastId } });

    // users[0] has opened the app (its count is cached); the others have not (a producer's
    // single event may have written one: gone).
    await Promise.all(users.map((user) => env.UNREAD_CACHE.delete(`unread:${user}`)));
    await asUser(users[0]!, "GET", "/api/events/activity-feed/unread-count/");
    expect(await cachedUnread(users[0]!)).toBe(1);
    const response = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      kind: "fast_reminder",
      fast_id: fastId,
      targeted_users: 11,
      status: "completed",
      created_count: 11,
    });

    const feed = await asUser(users[0]!, "GET", "/api/events/activity-feed/?activity_type=fast_reminder");
    expect(feed.body.results).toHaveLength(1);
    expect(feed.body.results[0]).toMatchObject({
      title: "Fast Reminder: Nativity Fast",
      description: "The Nativity Fast is starting soon. Don't forget to join!",
      data: { fast_id: fastId, fast_name: "Nativity Fast", reminder_type: "fast_reminder" },
      target_type: "hub.fast",
      target_id: fastId,
    });
    expect(await itemCount(leaver, "activity_type = 'fast_reminder'")).toBe(0);
    // A cached count is updated; an uncached one is left for the next badge read.
    expect(await cachedUnread(users[0]!)).toBe(2);
    expect(await cachedUnread(users[1]!)).toBeNull();
    const badge = await asUser(users[1]!, "GET", "/api/events/activity-feed/unread-count/");
    expect(badge.body.unread_count).toBe(2);
    expect(badge.headers.get("X-Cache")).toBe("miss");

    const again = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(again.body).toMatchObject({ targeted_users: 11, created_count: 0 });
  });

  it("a devotional reminder carries the devotional and the video title", async () => {
    const fastId = 90_000 + Math.floor(Math.random() * 1_000_000);
    const user = freshUser();
    await joinAll([user], fastId, "Great Lent");
    const response = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "devotional_reminder", devotional_id: 7, fast_id: fastId, video_title: "Day 3: Silence" },
    });
    expect(response.body).toMatchObject({ created_count: 1 });
    const feed = await asUser(user, "GET", "/api/events/activity-feed/?activity_type=devotional_reminder");
    expect(feed.body.results[0]).toMatchObject({
      title: "New Devotional: Day 3: Silence",
      description: "A new devotional is available for Great Lent",
      data: { devotional_id: 7, fast_id: fastId, fast_name: "Great Lent", video_title: "Day 3: Silence" },
      target_type: "hub.devotional",
      target_id: 7,
    });
  });

  it("a fan-out bigger than one chunk on every shard runs through the queue, reaches everyone once, and repeats create nothing", async () => {
    const fastId = 100_000 + Math.floor(Math.random() * 1_000_000);
    // 230 participants on every shard: more than one 200-user chunk on each.
    const users: number[] = [];
    for (const shard of [0, 1, 2, 3]) {
      let next = freshUser();
      for (let count = 0; count < 230; count++) {
        next = userOnShard(shard, next + 1);
        users.push(next);
      }
    }
    await joinAll(users, fastId, "Big Fast");
    const token = await staffToken();

    // Some participants have their count cached, on every shard.
    const cachedUsers = [0, 1, 2, 3].flatMap((shard) => users.slice(shard * 230, shard * 230 + 5));
    for (const user of cachedUsers) await asUser(user, "GET", "/api/events/activity-feed/unread-count/");
    const response = await call("POST", "/api/internal/reminders/", {
      token,
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ targeted_users: 920, status: "queued" });
    const jobId = response.body.job_id as string;

    const job = await waitForJob(jobId);
    expect(job.affected).toBe(920);
    expect(job.processed).toBe(920);
    // Every shard needed more than one chunk.
    for (const shard of job.shards) expect(shard.step).toBeGreaterThan(1);

    const counts = await Promise.all(users.map((user) => itemCount(user, "activity_type = 'fast_reminder'")));
    expect(new Set(counts)).toEqual(new Set([1]));
    for (const user of cachedUsers) {
      expect(await cachedUnread(user)).toBe(2);
      expect(await counters(user)).toEqual(await recount(user));
    }
    for (const user of users.slice(100, 110)) {
      expect(await cachedUnread(user)).toBeNull();
      expect((await asUser(user, "GET", "/api/events/activity-feed/unread-count/")).body.unread_count).toBe(2);
    }

    const again = await call("POST", "/api/internal/reminders/", {
      token,
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    const repeat = await waitForJob(again.body.job_id);
    expect(repeat.affected).toBe(0);
    expect(repeat.processed).toBe(920);
  }, 60_000);

  it("a job step delivered twice is not applied twice", async () => {
    const fastId = 110_000 + Math.floor(Math.random() * 1_000_000);
    const users = Array.from({ length: 5 }, () => userOnShard(1, freshUser()));
    await joinAll(users, fastId, "Twice Fast");
    const token = await staffToken();
    const queued = await deliver([{ v: 1, kind: "fast_reminder", fast_id: fastId, reminder_type: "fast_reminder" }]);
    expect(queued.explicitAcks).toHaveLength(1);
    const jobs = await call("GET", "/api/admin/jobs/?limit=5", { token });
    const job = jobs.body.results.find(
      (candidate: { params: { request: { fast_id: number } } }) => candidate.params.request?.fast_id === fastId,
    );
    const done = await waitForJob(job.job_id);
    expect(done.affected).toBe(5);
    // The queue redelivers the first step on shard 1 after it completed.
    const redelivery = await deliver(
      [{ v: 1, kind: "job_step", job_id: job.job_id, job_kind: "reminder", shard: 1, step: 0 }],
      { queue: "activity-feed-jobs" },
    );
    expect(redelivery.explicitAcks).toHaveLength(1);
    const after = await call("GET", `/api/admin/jobs/${job.job_id}/`, { token });
    expect(after.body.affected).toBe(5);
    expect(after.body.processed).toBe(done.processed);
    for (const user of users) expect(await itemCount(user, "activity_type = 'fast_reminder'")).toBe(1);
  }, 30_000);

  it("validates reminder requests and refuses non-staff", async () => {
    const token = await staffToken();
    const bad = await call("POST", "/api/internal/reminders/", {
      token,
      body: { kind: "fast_reminder", fast_id: "12" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toHaveProperty("fast_id");
    const unknownKind = await call("POST", "/api/internal/reminders/", {
      token,
      body: { kind: "weekly_digest", fast_id: 12 },
    });
    expect(unknownKind.status).toBe(400);
    const user = await asUser(freshUser(), "POST", "/api/internal/reminders/", { kind: "fast_reminder", fast_id: 12 });
    expect(user.status).toBe(403);
  });
});

describe("generate and populate from stored events", () => {
  it("generate recreates missing items from stored events and never duplicates existing ones", async () => {
    const user = freshUser();
    const token = await staffToken();
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    await ingest([
      {
        user_id: user,
        activity_type: "fast_join",
        event_id: "g-1",
        occurred_at: at(2),
        data: { fast_id: 1, fast_name: "A" },
      },
      {
        user_id: user,
        activity_type: "milestone",
        event_id: "g-2",
        occurred_at: at(10),
        data: { fast_id: 1, fast_name: "A" },
      },
      {
        user_id: user,
        activity_type: "fast_start",
        event_id: "g-3",
        occurred_at: at(40),
        data: { fast_id: 1, fast_name: "A" },
      },
    ]);

    const nothingMissing = await call("POST", "/api/events/activity-feed/generate/", {
      token,
      body: { user_id: user, days_back: 30 },
    });
    expect(nothingMissing.status).toBe(200);
    expect(nothingMissing.body).toMatchObject({
      created_count: 0,
      message: `Generated 0 activity feed items for user ${user}`,
    });

    // Lose two items (as a cleanup would) and regenerate the last 30 days.
    await shardOf(user).prepare("DELETE FROM feed_items WHERE user_id = ?").bind(user).run();
    const regenerated = await call("POST", "/api/events/activity-feed/generate/", {
      token,
      body: { user_id: user, days_back: 30 },
    });
    expect(regenerated.body.created_count).toBe(2);
    expect(Date.parse(regenerated.body.date_range.end) - Date.parse(regenerated.body.date_range.start)).toBe(
      30 * 86_400_000,
    );
    const feed = await asUser(user, "GET", "/api/events/activity-feed/");
    expect(feed.body.results.map((item: { title: string }) => item.title)).toEqual([
      "Joined A",
      "A reached participation milestone",
    ]);
    expect(await counters(user)).toEqual(await recount(user));
    expect(await cachedUnread(user)).toBe(2);
  });

  it("generate for an unknown user creates nothing; non-staff get 403", async () => {
    const token = await staffToken();
    const unknown = await call("POST", "/api/events/activity-feed/generate/", {
      token,
      body: { user_id: freshUser(), days_back: 30 },
    });
    expect(unknown.body.created_count).toBe(0);
    const forbidden = await asUser(freshUser(), "POST", "/api/events/activity-feed/generate/", {
      user_id: 1,
      days_back: 30,
    });
    expect(forbidden.status).toBe(403);
  });

  it("populate for all users runs over every shard as queue work; dry run counts without writing", async () => {
    const users = [0, 1, 2, 3].map((shard) => userOnShard(shard, freshUser()));
    const token = await staffToken();
    await ingest(
      users.map((user) => ({ user_id: user, activity_type: "fast_join", event_id: `p-${user}`, data: { fast_id: 2 } })),
    );
    for (const user of users) await shardOf(user).prepare("DELETE FROM feed_items WHERE user_id = ?").bind(user).run();

    const dry = await call("POST", "/api/admin/populate/", { token, body: { days_back: 1, dry_run: true } });
    expect(dry.status).toBe(200);
    expect(dry.body.would_create).toBeGreaterThanOrEqual(4);
    expect(dry.body.message).toMatch(/^DRY RUN: Would create \d+ activity feed items$/);
    for (const user of users) expect(await itemCount(user)).toBe(0);

    const run = await call("POST", "/api/admin/populate/", { token, body: { days_back: 1 } });
    expect(run.status).toBe(202);
    await waitForJob(run.body.job_id);
    for (const user of users) {
      expect(await itemCount(user)).toBe(1);
      expect(await cachedUnread(user)).toBe(1);
    }
  }, 30_000);
});

describe("queue message shapes from other producers", () => {
  it("a populate_user message rebuilds that user's feed", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join", event_id: "pu-1", data: { fast_id: 4 } });
    await shardOf(user).prepare("DELETE FROM feed_items WHERE user_id = ?").bind(user).run();
    const result = await deliver([{ v: 1, kind: "populate_user", user_id: user, days_back: 7 }]);
    expect(result.explicitAcks).toHaveLength(1);
    await eventuallyEqual(() => itemCount(user), 1);
  });
});

describe("stalled jobs", () => {
  it("a job whose step message was lost is finished by resume, and resuming a finished job does nothing", async () => {
    const fastId = 120_000 + Math.floor(Math.random() * 1_000_000);
    const users = [0, 1, 2, 3].map((shard) => userOnShard(shard, freshUser()));
    await ingest(
      users.map((user) => ({
        user_id: user,
        activity_type: "fast_join",
        data: { fast_id: fastId, fast_name: "Lost Fast" },
      })),
    );
    const token = await staffToken();
    // The job exists, but its first messages never reached the queue.
    const { createJob } = await import("../src/jobs/launch");
    const { planReminder } = await import("../src/feed/reminders");
    const plan = await planReminder(
      env,
      { kind: "fast_reminder", fast_id: fastId, reminder_type: "fast_reminder" },
      Date.now(),
    );
    const job = await createJob(env, "reminder", plan, Date.now());
    expect((await call("GET", `/api/admin/jobs/${job.jobId}/`, { token })).body.done).toBe(false);

    const resumed = await call("POST", `/api/admin/jobs/${job.jobId}/resume/`, { token });
    expect(resumed.status).toBe(202);
    expect(resumed.body.resumed_shards).toEqual([0, 1, 2, 3]);
    const done = await waitForJob(job.jobId);
    expect(done.affected).toBe(4);
    for (const user of users) expect(await itemCount(user, "activity_type = 'fast_reminder'")).toBe(1);

    const again = await call("POST", `/api/admin/jobs/${job.jobId}/resume/`, { token });
    expect(again.body.resumed_shards).toEqual([]);
    expect((await call("POST", "/api/admin/jobs/no-such-job/resume/", { token })).status).toBe(404);
  }, 30_000);
});
