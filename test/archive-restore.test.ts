import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { insertArchivedRowsStatements } from "../src/db/item-writes";
import { RESTORE_CACHE_USERS_IN_REQUEST } from "../src/retention/chunk-sizes";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { shardsOf } from "../src/shards/router";
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
import { deliver } from "./support/queues";

import { daysAgo, loadOldItems, ownersWithOneOldUnreadItem } from "./support/retention";
import { DAY } from "./support/time";

describe("archive to R2 and restore", () => {
  const allRows = async (user: number) =>
    (await shardOf(user).prepare("SELECT * FROM feed_items WHERE user_id = ? ORDER BY id").bind(user).all()).results;

  it("archive then restore gives back exactly the original rows", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
    await ingest([
      {
        user_id: user,
        activity_type: "milestone",
        occurred_at: daysAgo(400),
        event_id: "arch-1",
        data: { fast_id: 3, fast_name: "Old Fast", milestone: 100 },
      },
      {
        user_id: user,
        activity_type: "fast_join",
        occurred_at: daysAgo(380),
        event_id: "arch-2",
        data: { fast_id: 3, fast_name: "Old Fast" },
      },
      { user_id: user, activity_type: "fast_join", occurred_at: daysAgo(10), event_id: "arch-3", data: { fast_id: 4 } },
    ]);
    const first = (await asUser(user, "GET", "/api/events/activity-feed/?page_size=100")).body.results.at(-1);
    await asUser(user, "POST", "/api/events/activity-feed/mark-read/", { activity_ids: [first.id] });
    const original = await allRows(user);

    const run = await call("POST", "/api/admin/archive/", {
      token: await staffToken(),
      body: { older_than_days: 365 },
    });
    expect(run.status).toBe(202);
    const job = await waitForJob(run.body.job_id);
    expect(job.detail.archived).toBeGreaterThanOrEqual(2);
    expect(await itemCount(user)).toBe(1);
    expect(await cachedUnread(user)).toBe(1);

    const listing = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token: await staffToken() });
    expect(listing.status).toBe(200);
    expect(listing.body.total_rows).toBe(job.detail.archived);
    // Types with few expired rows share a chunk: the milestone and the join are in one object.
    const archives = listing.body.results.filter(
      (entry: { shard: number }) => entry.shard === shardIndexForUser(user, SHARD_COUNT),
    );
    expect(archives.length).toBeGreaterThanOrEqual(1);
    expect(archives.reduce((sum: number, archive: { rows: number }) => sum + archive.rows, 0)).toBeGreaterThanOrEqual(
      2,
    );
    for (const archive of archives) {
      expect(archive.key).toMatch(
        new RegExp(
          `^archives/${run.body.job_id}/shard-\\d+/\\d{6}_\\d{4}-\\d{2}-\\d{2}_\\d{4}-\\d{2}-\\d{2}\\.ndjson\\.gz$`,
        ),
      );
      const manifest = await env.ARCHIVE.get(archive.key.replace(".ndjson.gz", ".manifest.json"));
      expect(JSON.parse(await manifest!.text())).toMatchObject({
        rows: archive.rows,
        sha256: archive.sha256,
        format: "ndjson+gzip",
      });
    }

    const restore = async () => {
      let restoredRows = 0;
      for (const archive of archives) {
        const restored = await call("POST", "/api/admin/archive/restore/", {
          token: await staffToken(),
          body: { key: archive.key },
        });
        expect(restored.status).toBe(200);
        restoredRows += restored.body.restored;
      }
      return restoredRows;
    };
    expect(await restore()).toBeGreaterThanOrEqual(2);
    expect(await allRows(user)).toEqual(original);
    expect(await counters(user)).toEqual(await recount(user));
    expect(await cachedUnread(user)).toBe(2);

    // Restoring again changes nothing.
    expect(await restore()).toBe(0);
    expect(await allRows(user)).toEqual(original);
  });

  it("an archive interrupted after the R2 write and before the delete is safe to run again", async () => {
    const user = userOnShard(1, freshUser());
    await loadOldItems(user, "event", 30, 400);
    await loadOldItems(user, "event", 10, 400, true);
    const original = await allRows(user);
    const token = await staffToken();

    // Simulate the crash: the shard refuses the delete, so the step fails
    // after its object was written and verified.
    const guard = `refuse_delete_${user}`;
    await shardOf(user)
      .prepare(
        `CREATE TRIGGER ${guard} BEFORE DELETE ON feed_items WHEN OLD.user_id = ${user} BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`,
      )
      .run();
    const run = await call("POST", "/api/admin/archive/", { token, body: { older_than_days: 365 } });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const midway = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token });
    const written = midway.body.results.filter((entry: { shard: number }) => entry.shard === 1);
    expect(written.length).toBeGreaterThan(0);
    expect(await allRows(user)).toEqual(original);

    // The Worker comes back and the queue redelivers the step (it would after
    // retry_delay, 60 s; the test delivers it now).
    await shardOf(user).prepare(`DROP TRIGGER ${guard}`).run();
    const redelivery = await deliver(
      [{ v: 1, kind: "job_step", job_id: run.body.job_id, job_kind: "retention", shard: 1, step: 0 }],
      {
        ids: ["redelivered-archive-step"],
        attempts: 2,
        queue: "activity-feed-jobs",
      },
    );
    expect(redelivery.explicitAcks).toEqual(["redelivered-archive-step"]);
    const job = await waitForJob(run.body.job_id);
    expect(job.done).toBe(true);
    expect(await itemCount(user)).toBe(0);
    const after = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token });
    const keys = after.body.results
      .filter((entry: { shard: number }) => entry.shard === 1)
      .map((entry: { key: string }) => entry.key);
    expect(new Set(keys).size).toBe(keys.length);

    for (const key of keys) await call("POST", "/api/admin/archive/restore/", { token, body: { key } });
    expect(await allRows(user)).toEqual(original);
    expect(await counters(user)).toEqual(await recount(user));
  }, 120_000);

  it("an archive too long for one bound value (long, non-ASCII rows) restores exactly, in parts within one batch", async () => {
    const user = userOnShard(0, freshUser());
    const title = "Великий піст — ".repeat(12);
    const rowCount = 2_000; // ~0.8M characters of JSON
    const rows = Array.from({ length: rowCount }, (_, index) => ({
      title: `${title}${index}`,
      created_at: Date.now() - 600 * DAY - index * 1000,
    }));
    await shardOf(user)
      .prepare(
        `INSERT INTO feed_items (user_id, activity_type, title, data, created_at)
         SELECT ?2, 'milestone', r.value ->> 'title', '{"fast_id":7,"milestone":30}', r.value ->> 'created_at' FROM json_each(?1) AS r`,
      )
      .bind(JSON.stringify(rows), user)
      .run();
    const original = await allRows(user);
    // The same rows as archived lines (every column under its database name) need several parameters.
    expect(
      insertArchivedRowsStatements((await shardsOf(env as never)).byIndex(0)!, original as Record<string, unknown>[])
        .length,
    ).toBeGreaterThanOrEqual(2);
    const token = await staffToken();
    const run = await call("POST", "/api/admin/archive/", { token, body: { older_than_days: 550 } });
    await waitForJob(run.body.job_id);
    expect(await itemCount(user)).toBe(0);

    const listing = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token });
    // All or nothing: a refused row in the last part leaves none of the earlier parts behind.
    const guard = `refuse_restore_${user}`;
    await shardOf(user)
      .prepare(
        `CREATE TRIGGER ${guard} BEFORE INSERT ON feed_items WHEN NEW.title = '${title}0' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      )
      .run();
    for (const { key } of listing.body.results.filter((entry: { shard: number }) => entry.shard === 0)) {
      expect((await call("POST", "/api/admin/archive/restore/", { token, body: { key } })).status).toBe(500);
    }
    expect(await itemCount(user)).toBe(0);
    await shardOf(user).prepare(`DROP TRIGGER ${guard}`).run();
    let restored = 0;
    for (const { key } of listing.body.results.filter((entry: { shard: number }) => entry.shard === 0)) {
      restored += (await call("POST", "/api/admin/archive/restore/", { token, body: { key } })).body.restored;
    }
    expect(restored).toBeGreaterThanOrEqual(rowCount);
    expect(await allRows(user)).toEqual(original);
    expect(await counters(user)).toEqual(await recount(user));
  }, 60_000);

  it("a restore with more owners than one request may write refreshes the rest of their cached counts through the queue", async () => {
    const owners = await ownersWithOneOldUnreadItem(1, RESTORE_CACHE_USERS_IN_REQUEST + 60, "milestone", 700);
    const token = await staffToken();
    const run = await call("POST", "/api/admin/archive/", { token, body: { older_than_days: 650 } });
    await waitForJob(run.body.job_id);
    // Every owner opens the app after the archive: a badge of 0 is cached.
    await Promise.all(owners.map((user) => env.UNREAD_CACHE.put(`unread:${user}`, "0")));

    const listing = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token });
    let queued = 0;
    for (const { key } of listing.body.results.filter((entry: { shard: number }) => entry.shard === 1)) {
      const restore = await call("POST", "/api/admin/archive/restore/", { token, body: { key } });
      expect(restore.status).toBe(200);
      queued += restore.body.cache_refresh_queued;
    }
    expect(queued).toBeGreaterThanOrEqual(60);
    // The oldest rows' owners come first: refreshed inside the request.
    expect(await cachedUnread(owners.at(-1)!)).toBe(1);
    const deadline = Date.now() + 15_000;
    let stale = owners;
    while (stale.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stale = (await Promise.all(owners.map(async (user) => ((await cachedUnread(user)) === 1 ? null : user)))).filter(
        (user) => user !== null,
      );
    }
    expect(stale).toEqual([]);
  }, 60_000);

  it("restore of a missing key is 404", async () => {
    const response = await call("POST", "/api/admin/archive/restore/", {
      token: await staffToken(),
      body: { key: "archives/none/shard-0/000000_x.ndjson.gz" },
    });
    expect(response.status).toBe(404);
  });
});
