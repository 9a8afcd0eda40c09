import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { createJob, stepMessage } from "../src/jobs/launch";
import { JOBS } from "../src/jobs/registry";
import { INVOCATION_D1_BUDGET, INVOCATION_KV_BUDGET } from "../src/queue/limits";
import {
  ARCHIVE_CHUNK_TEXT_CHARS,
  RETENTION_CHUNK_CACHED_OWNERS,
  RETENTION_CHUNK_ROWS,
  RETENTION_CHUNK_UNREAD_OWNERS,
  RETENTION_EVENTS_CHUNK_ROWS,
} from "../src/retention/chunk-sizes";
import {
  cachedUnread,
  counters,
  itemCount,
  joinedAFastBefore,
  recount,
  SHARD_COUNT,
  shardOf,
  userOnShard,
} from "./support/db";
import { asUser, call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { deliver, watchedQueues } from "./support/queues";

import { archivedChunkRows, cleanup, daysAgo, loadOldItems, ownersWithOneOldUnreadItem } from "./support/retention";
import { DAY } from "./support/time";

describe("retention cleanup", () => {
  it("the daily cron removes every type past its retention, read or not, and keeps counters and cache exact", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
    await ingest([
      { user_id: user, activity_type: "fast_reminder", occurred_at: daysAgo(31), data: { fast_id: 1 } },
      { user_id: user, activity_type: "fast_reminder", occurred_at: daysAgo(29), data: { fast_id: 1 } },
      { user_id: user, activity_type: "fast_start", occurred_at: daysAgo(91), data: { fast_id: 1 } },
      { user_id: user, activity_type: "fast_join", occurred_at: daysAgo(91), data: { fast_id: 1 } },
      { user_id: user, activity_type: "milestone", occurred_at: daysAgo(366), data: { fast_id: 1 } },
      { user_id: user, activity_type: "milestone", occurred_at: daysAgo(300), data: { fast_id: 1 } },
    ]);
    await asUser(user, "GET", "/api/events/activity-feed/unread-count/"); // fills the cache
    expect(await cachedUnread(user)).toBe(6);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 2 * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const jobs = await call("GET", "/api/admin/jobs/?limit=1", { token: await staffToken() });
    const job = await waitForJob(jobs.body.results[0].job_id);
    expect(job.kind).toBe("retention");

    const titles = (await asUser(user, "GET", "/api/events/activity-feed/")).body.results.map(
      (item: { activity_type: string }) => item.activity_type,
    );
    expect(titles.sort()).toEqual(["fast_join", "fast_reminder", "milestone"]);
    expect(await counters(user)).toEqual(await recount(user));
    expect(await cachedUnread(user)).toBe(3);
    expect((await asUser(user, "GET", "/api/events/activity-feed/summary/")).body.unread_count).toBe(3);
  });

  it("a dry run reports per type and shard and deletes nothing", async () => {
    const users = [0, 1, 2, 3].map((shard) => userOnShard(shard, freshUser()));
    for (const user of users) await loadOldItems(user, "devotional_reminder", 3, 45);
    const before = await Promise.all(users.map((user) => itemCount(user)));

    const dry = await cleanup({ dry_run: true, activity_type: "devotional_reminder" });
    expect(dry.status).toBe(200);
    expect(dry.body.message).toMatch(/^DRY RUN: Would delete \d+ items total$/);
    expect(dry.body.per_type.devotional_reminder).toBeGreaterThanOrEqual(12);
    for (const shard of [0, 1, 2, 3]) expect(dry.body.per_shard[`shard_${shard}`]).toBeGreaterThanOrEqual(3);
    expect(await Promise.all(users.map((user) => itemCount(user)))).toEqual(before);
  });

  it("runs one type only, honours older_than_days, and only_read keeps unread items", async () => {
    const user = freshUser();
    await loadOldItems(user, "fast_join", 2, 70);
    await loadOldItems(user, "fast_leave", 2, 70);
    await loadOldItems(user, "fast_leave", 2, 70, true);

    // fast_join keeps 180 days by default: nothing to do.
    let run = await cleanup({ activity_type: "fast_join", archive: false });
    expect(run.status).toBe(202);
    await waitForJob(run.body.job_id);
    expect(await itemCount(user, "activity_type = 'fast_join'")).toBe(2);

    // The override applies to the one type asked for.
    run = await cleanup({ activity_type: "fast_join", older_than_days: 60, archive: false });
    const job = await waitForJob(run.body.job_id);
    expect(job.detail.fast_join).toBeGreaterThanOrEqual(2);
    expect(await itemCount(user, "activity_type = 'fast_join'")).toBe(0);
    expect(await itemCount(user, "activity_type = 'fast_leave'")).toBe(4);

    // The original's behaviour: read items only.
    run = await cleanup({ activity_type: "fast_leave", older_than_days: 60, only_read: true, archive: false });
    await waitForJob(run.body.job_id);
    expect(await itemCount(user, "activity_type = 'fast_leave'")).toBe(2);
    expect(await itemCount(user, "activity_type = 'fast_leave' AND is_read = 0")).toBe(2);
    expect(await counters(user)).toEqual(await recount(user));
  });

  it("a backlog larger than one chunk on several shards is removed completely, and deleting unread items lowers the unread count", async () => {
    const users = [0, 2, 3].map((shard) => userOnShard(shard, freshUser()));
    const backlog = RETENTION_CHUNK_ROWS + 150;
    for (const user of users) {
      await loadOldItems(user, "event", backlog, 200);
      await loadOldItems(user, "event", 5, 200, true);
      await ingest({ user_id: user, activity_type: "event", data: { title: "recent" } });
      await asUser(user, "GET", "/api/events/activity-feed/unread-count/");
      expect(await cachedUnread(user)).toBe(6);
    }
    const run = await cleanup({ activity_type: "event", archive: false });
    const job = await waitForJob(run.body.job_id);
    expect(job.affected).toBeGreaterThanOrEqual(3 * (backlog + 5));
    for (const shard of job.shards.filter((entry: { shard: number }) => [0, 2, 3].includes(entry.shard)))
      expect(shard.step).toBeGreaterThan(1);
    for (const user of users) {
      expect(await itemCount(user)).toBe(1);
      expect(await counters(user)).toEqual(await recount(user));
      expect(await cachedUnread(user)).toBe(1);
    }
  }, 60_000);

  it("a chunk stops where the owners of its unread rows with a cached count reach what one invocation may write", async () => {
    // More users on one shard than one chunk may write cache entries for, each
    // with one old unread row and a cached count.
    const owners = await ownersWithOneOldUnreadItem(
      3,
      RETENTION_CHUNK_CACHED_OWNERS + 100,
      "devotional_available",
      400,
    );
    // As if each had opened the app (what the badge endpoint would have cached).
    await Promise.all(owners.map((user) => env.UNREAD_CACHE.put(`unread:${user}`, "1")));

    // Archived, so that each chunk's rows are visible as one object.
    const run = await cleanup({ activity_type: "devotional_available", older_than_days: 365, archive: true });
    await waitForJob(run.body.job_id);
    const chunks = await archivedChunkRows(run.body.job_id, 3);
    expect(chunks[0]).toBe(RETENTION_CHUNK_CACHED_OWNERS);
    expect(chunks.reduce((sum, rows) => sum + rows, 0)).toBe(owners.length);
    for (const user of [
      owners[0]!,
      owners[RETENTION_CHUNK_CACHED_OWNERS - 1]!,
      owners[RETENTION_CHUNK_CACHED_OWNERS]!,
      owners.at(-1)!,
    ]) {
      expect(await itemCount(user)).toBe(0);
      expect(await cachedUnread(user)).toBe(0);
      expect(await counters(user)).toEqual(await recount(user));
    }
  }, 60_000);

  it("a chunk stops where the owners of its unread rows reach how many one chunk may look up in the cache", async () => {
    const owners = await ownersWithOneOldUnreadItem(2, RETENTION_CHUNK_UNREAD_OWNERS + 100, "devotional_reminder", 400);
    await env.UNREAD_CACHE.put(`unread:${owners.at(-1)}`, "1");

    const run = await cleanup({ activity_type: "devotional_reminder", older_than_days: 365, archive: true });
    const job = await waitForJob(run.body.job_id);
    expect(await archivedChunkRows(run.body.job_id, 2)).toEqual([RETENTION_CHUNK_UNREAD_OWNERS, 100]);
    expect(job.affected).toBe(owners.length);
    for (const user of [
      owners[0]!,
      owners[RETENTION_CHUNK_UNREAD_OWNERS - 1]!,
      owners[RETENTION_CHUNK_UNREAD_OWNERS]!,
      owners.at(-1)!,
    ]) {
      expect(await itemCount(user)).toBe(0);
      expect(await counters(user)).toEqual(await recount(user));
    }
    expect(await cachedUnread(owners.at(-1)!)).toBe(0);
  }, 60_000);

  it("a batch holding a job's steps for every shard runs all of them in that invocation; none is handed back", async () => {
    const users = Array.from({ length: SHARD_COUNT }, (_, shard) => userOnShard(shard, freshUser()));
    for (const user of users) await loadOldItems(user, "event", 50, 500, true);
    const now = Date.now();
    const job = await createJob(
      env,
      "retention",
      { plan: { cutoffs: { event: now - 450 * DAY }, onlyRead: false }, archive: true },
      now,
    );
    // A step handed back or continued later would be a send.
    const queues = watchedQueues();
    const result = await deliver(
      job.shards.map((shard) => stepMessage(job.jobId, "retention", shard, 0)),
      { queue: "activity-feed-jobs", on: queues.env },
    );
    expect(result.explicitAcks).toHaveLength(SHARD_COUNT);
    expect(queues.sent).toEqual({ FEED_QUEUE: [], JOB_QUEUE: [] });
    const status = await call("GET", `/api/admin/jobs/${job.jobId}/`, { token: await staffToken() });
    expect(status.body.shards.map((entry: { done: boolean }) => entry.done)).toEqual(Array(SHARD_COUNT).fill(true));
    for (const user of users) expect(await itemCount(user)).toBe(0);
  });

  it("a cleanup request on the work queue starts its job with one step per shard on the job queue", async () => {
    const queues = watchedQueues();
    const result = await deliver([{ v: 1, kind: "cleanup", only_read: true, archive: false, older_than_days: 3650 }], {
      ids: ["cleanup-request"],
      on: queues.env,
    });
    expect(result.explicitAcks).toEqual(["cleanup-request"]);
    expect(queues.sent.FEED_QUEUE).toEqual([]);
    const steps = queues.sent.JOB_QUEUE as {
      kind: string;
      job_id: string;
      job_kind: string;
      shard: number;
      step: number;
    }[];
    expect(steps.map(({ kind, job_kind, shard, step }) => ({ kind, job_kind, shard, step }))).toEqual(
      Array.from({ length: SHARD_COUNT }, (_, shard) => ({ kind: "job_step", job_kind: "retention", shard, step: 0 })),
    );
    // Its steps run from the real queue; later tests start retention runs, refused while this one moves.
    expect((await waitForJob(steps[0]!.job_id)).done).toBe(true);
  });

  it("a job step that arrives on the work queue, where an older deployment sent steps, still runs", async () => {
    const user = userOnShard(2, freshUser());
    await loadOldItems(user, "event", 20, 500);
    const now = Date.now();
    const job = await createJob(
      env,
      "retention",
      { plan: { cutoffs: { event: now - 450 * DAY }, onlyRead: false }, archive: false },
      now,
    );
    const result = await deliver(job.shards.map((shard) => stepMessage(job.jobId, "retention", shard, 0)));
    expect(result.explicitAcks).toHaveLength(SHARD_COUNT);
    expect((await waitForJob(job.jobId)).done).toBe(true);
    expect(await itemCount(user)).toBe(0);
  });

  it("job steps beyond what one invocation admits go back to the job queue, not the work queue", async () => {
    const now = Date.now();
    const plan = { plan: { cutoffs: { event: now - 3650 * DAY }, onlyRead: false }, archive: false };
    const jobs = [await createJob(env, "retention", plan, now), await createJob(env, "retention", plan, now)];
    const steps = jobs.flatMap((job) => job.shards.map((shard) => stepMessage(job.jobId, "retention", shard, 0)));
    const admitted = Math.floor(
      Math.min(INVOCATION_KV_BUDGET / JOBS.retention.cost.kv, INVOCATION_D1_BUDGET / JOBS.retention.cost.d1),
    );
    expect(steps.length).toBeGreaterThan(admitted);
    const queues = watchedQueues();
    const result = await deliver(steps, { queue: "activity-feed-jobs", on: queues.env });
    expect(result.explicitAcks).toHaveLength(steps.length);
    expect(queues.sent.FEED_QUEUE).toEqual([]);
    expect(queues.sent.JOB_QUEUE).toEqual(steps.slice(admitted));
    // The steps handed back run from the real queue; later tests start retention runs, refused while these move.
    for (const job of jobs) expect((await waitForJob(job.jobId)).done).toBe(true);
  });

  it("a chunk fills up from one type after the other and resumes inside the type where it stopped", async () => {
    const user = userOnShard(1, freshUser());
    const perType = Math.ceil(RETENTION_CHUNK_ROWS * 0.6);
    await loadOldItems(user, "fast_start", perType, 500);
    await loadOldItems(user, "fast_leave", perType, 500);
    await loadOldItems(user, "fast_leave", 3, 10);
    const run = await cleanup({ older_than_days: 400, archive: true });
    const job = await waitForJob(run.body.job_id);
    expect(job.detail.fast_start).toBeGreaterThanOrEqual(perType);
    expect(job.detail.fast_leave).toBeGreaterThanOrEqual(perType);
    expect(await itemCount(user)).toBe(3);
    const listing = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token: await staffToken() });
    const mine = listing.body.results.filter((entry: { shard: number }) => entry.shard === 1);
    // 2 × 0.6 chunks of rows: one full object spanning both types, then the rest.
    expect(mine.map((entry: { rows: number }) => entry.rows).sort((a: number, b: number) => b - a)[0]).toBe(
      RETENTION_CHUNK_ROWS,
    );
    expect(await counters(user)).toEqual(await recount(user));
  }, 60_000);

  it("an archived chunk stops once its rows' text passes what one object may hold", async () => {
    const user = userOnShard(3, freshUser());
    const data = JSON.stringify({ note: "x".repeat(12_000) });
    const rows = Array.from({ length: 1_500 }, (_, index) => ({ created_at: Date.now() - 900 * DAY - index * 1000 }));
    await shardOf(user)
      .prepare(
        `INSERT INTO feed_items (user_id, activity_type, title, data, created_at)
         SELECT ?2, 'fast_join', 'heavy', ?3, r.value ->> 'created_at' FROM json_each(?1) AS r`,
      )
      .bind(JSON.stringify(rows), user, data)
      .run();
    const run = await call("POST", "/api/admin/archive/", {
      token: await staffToken(),
      body: { older_than_days: 850 },
    });
    await waitForJob(run.body.job_id);
    // 1,500 rows of 12 KB are more than one chunk's ARCHIVE_CHUNK_TEXT_CHARS.
    const chunks = await archivedChunkRows(run.body.job_id, 3);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(Math.floor(ARCHIVE_CHUNK_TEXT_CHARS / data.length));
    expect(chunks.reduce((sum, rows) => sum + rows, 0)).toBe(rows.length);
    expect(await itemCount(user)).toBe(0);
  }, 60_000);

  it("stored events past their type's retention go with their items; younger ones stay", async () => {
    const user = freshUser();
    await ingest([
      {
        user_id: user,
        activity_type: "fast_reminder",
        event_id: "ev-old",
        occurred_at: daysAgo(45),
        data: { fast_id: 1 },
      },
      {
        user_id: user,
        activity_type: "milestone",
        event_id: "ev-kept",
        occurred_at: daysAgo(45),
        data: { fast_id: 1 },
      },
      {
        user_id: user,
        activity_type: "fast_reminder",
        event_id: "ev-new",
        occurred_at: daysAgo(5),
        data: { fast_id: 1 },
      },
    ]);
    const run = await cleanup({ archive: false });
    const job = await waitForJob(run.body.job_id);
    expect(job.detail.events).toBeGreaterThanOrEqual(1);
    const { results } = await shardOf(user)
      .prepare("SELECT source_event_id AS id FROM events WHERE user_id = ? ORDER BY id")
      .bind(user)
      .all<{ id: string }>();
    expect(results.map((row) => row.id).sort()).toEqual(["ev-kept", "ev-new"]);
    expect(await itemCount(user)).toBe(2);
  });

  it("stored events past retention beyond one chunk are all deleted, chunk after chunk; the user's younger events stay", async () => {
    const user = freshUser();
    await ingest({
      user_id: user,
      activity_type: "fast_reminder",
      event_id: "ev-young",
      occurred_at: daysAgo(5),
      data: { fast_id: 1 },
    });
    // Straight into the shard: more old events than one events chunk takes.
    const old = RETENTION_EVENTS_CHUNK_ROWS + 120;
    await shardOf(user)
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO events (user_id, event_type, source_event_id, occurred_at, received_at, ingest_id)
         SELECT ?1, 'fast_reminder', 'ev-old-' || i, ?3 - i * 1000, ?3, 'test' FROM n`,
      )
      .bind(user, old, Date.now() - 45 * DAY)
      .run();

    const run = await cleanup({ archive: false });
    const job = await waitForJob(run.body.job_id);
    expect(job.detail.events).toBeGreaterThanOrEqual(old);
    const { results } = await shardOf(user)
      .prepare("SELECT source_event_id AS id FROM events WHERE user_id = ?")
      .bind(user)
      .all<{ id: string }>();
    expect(results.map((row) => row.id)).toEqual(["ev-young"]);
  }, 60_000);

  it("bad options get 400 and non-staff get 403", async () => {
    expect((await cleanup({ activity_type: "nope" })).status).toBe(400);
    expect((await cleanup({ older_than_days: 0 })).status).toBe(400);
    expect((await cleanup({ older_than_days: "60" })).body).toHaveProperty("older_than_days");
    expect((await cleanup({ surprise: true })).body).toEqual({ surprise: ["Unknown field."] });
    const user = freshUser();
    expect((await asUser(user, "POST", "/api/admin/cleanup/", {})).status).toBe(403);
    expect((await asUser(user, "POST", "/api/admin/archive/", {})).status).toBe(403);
    expect((await asUser(user, "GET", "/api/admin/stats/")).status).toBe(403);
    expect((await asUser(user, "GET", "/api/admin/archives/")).status).toBe(403);
    expect((await asUser(user, "POST", "/api/admin/archive/restore/", { key: "x" })).status).toBe(403);
  });
});
