import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { gzip, sha256Hex } from "../src/archive/ndjson";
import { cachedBadge, counters, itemCount, recount, shardOf } from "./support/db";
import { FEED, ids, list } from "./support/feed";
import { asUser, call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { daysAgo } from "./support/retention";
import { shardIndexOf } from "./support/shard-rows";

/** The inbox states through an archive to R2 and back (issue 14: archive schema_version 2). */

/** The columns of a version-1 archive line: feed_items as it was before the inbox states. */
const VERSION_1_COLUMNS = [
  "id",
  "user_id",
  "activity_type",
  "event_id",
  "target_type",
  "target_id",
  "title",
  "description",
  "is_read",
  "read_at",
  "created_at",
  "data",
  "dedupe_key",
] as const;

const allRows = async (user: number) =>
  (
    await shardOf(user)
      .prepare("SELECT * FROM feed_items WHERE user_id = ? ORDER BY id")
      .bind(user)
      .all<Record<string, unknown>>()
  ).results;

const act = (user: number, path: string, body: unknown) => asUser(user, "POST", `${FEED}${path}/`, body);

async function restore(key: string) {
  const response = await call("POST", "/api/admin/archive/restore/", { token: await staffToken(), body: { key } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { restored: number; rows: number };
}

describe("archive to R2 and restore keep the inbox states", () => {
  it("archived, seen and read items come back from R2 with their states and thumbnail", async () => {
    const user = freshUser();
    const created = await ingest([
      { user_id: user, activity_type: "fast_start", occurred_at: daysAgo(400), title: "read and archived" },
      {
        user_id: user,
        activity_type: "devotional_available",
        occurred_at: daysAgo(401),
        title: "seen",
        target_thumbnail: "https://cdn.example.org/d/1.jpg",
      },
      { user_id: user, activity_type: "event", occurred_at: daysAgo(402), title: "untouched" },
      { user_id: user, activity_type: "fast_start", occurred_at: daysAgo(403), title: "archived unread" },
      { user_id: user, activity_type: "fast_start", occurred_at: daysAgo(10), title: "recent" },
    ]);
    const id = Object.fromEntries(created.results.map((item) => [item.title, item.id]));
    await act(user, "mark-read", { activity_ids: [id["read and archived"]] });
    await act(user, "archive", { activity_ids: [id["read and archived"], id["archived unread"]] });
    await act(user, "mark-seen", { activity_ids: [id.seen] });
    const original = await allRows(user);
    expect(original.map((row) => [row.title, row.is_read, row.is_seen, row.is_archived])).toEqual([
      ["read and archived", 1, 1, 1],
      ["seen", 0, 1, 0],
      ["untouched", 0, 0, 0],
      ["archived unread", 0, 0, 1],
      ["recent", 0, 0, 0],
    ]);

    const token = await staffToken();
    const run = await call("POST", "/api/admin/archive/", { token, body: { older_than_days: 365 } });
    expect(run.status).toBe(202);
    await waitForJob(run.body.job_id);
    expect(await itemCount(user)).toBe(1);
    // The user opens the app while the rows are away: a badge of the recent item alone is cached.
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body).toEqual({ unread_count: 1, unseen_count: 1 });

    const listing = await call("GET", `/api/admin/archives/?run_id=${run.body.job_id}`, { token });
    const archives = listing.body.results.filter((entry: { shard: number }) => entry.shard === shardIndexOf(user));
    expect(archives.length).toBeGreaterThanOrEqual(1);
    for (const archive of archives) expect(archive.schema_version).toBe(2);
    let restored = 0;
    for (const archive of archives) restored += (await restore(archive.key)).restored;
    expect(restored).toBeGreaterThanOrEqual(4);

    expect(await allRows(user)).toEqual(original);
    expect(await counters(user)).toEqual(await recount(user));
    expect(ids(await list(user, { archived: "only" }))).toEqual([id["read and archived"], id["archived unread"]]);
    // The inbox: "seen" (unread, seen), "untouched" and "recent" (unread, unseen).
    expect((await asUser(user, "GET", `${FEED}summary/`)).body).toMatchObject({
      total_items: 3,
      unread_count: 3,
      unseen_count: 2,
    });
    expect(await cachedBadge(user)).toEqual({ unread: 3, unseen: 2 });
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body).toEqual({ unread_count: 3, unseen_count: 2 });
  }, 60_000);

  it("a version-1 archive (before the inbox states) restores its rows seen and not archived", async () => {
    const user = freshUser();
    const shard = shardIndexOf(user);
    const created = await ingest([
      { user_id: user, activity_type: "fast_start", occurred_at: daysAgo(500), title: "was read" },
      {
        user_id: user,
        activity_type: "milestone",
        occurred_at: daysAgo(501),
        title: "was unread",
        data: { fast_id: 2 },
      },
      { user_id: user, activity_type: "fast_start", occurred_at: daysAgo(502), title: "was unread too" },
    ]);
    const id = Object.fromEntries(created.results.map((item) => [item.title, item.id]));
    await act(user, "mark-read", { activity_ids: [id["was read"]] });
    // States a version-1 archive cannot hold: they are not in its lines.
    await act(user, "archive", { activity_ids: [id["was unread"]] });
    const before = await allRows(user);
    const lines = before.map((row) =>
      JSON.stringify(Object.fromEntries(VERSION_1_COLUMNS.map((column) => [column, row[column]]))),
    );

    // What an archive written before the inbox states looks like: its rows deleted, its object in R2.
    await shardOf(user).prepare("DELETE FROM feed_items WHERE user_id = ?").bind(user).run();
    const body = await gzip(`${lines.join("\n")}\n`);
    const sha256 = await sha256Hex(body);
    const times = before.map((row) => Number(row.created_at));
    const day = (time: number) => new Date(time).toISOString().slice(0, 10);
    const runId = `v1-${user}`;
    const key = `archives/${runId}/shard-${shard}/000000_${day(Math.min(...times))}_${day(Math.max(...times))}.ndjson.gz`;
    await env.ARCHIVE.put(key, body, {
      sha256,
      httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
      customMetadata: {
        manifest: JSON.stringify({
          key,
          format: "ndjson+gzip",
          schema_version: 1,
          shard,
          run_id: runId,
          step: 0,
          rows: lines.length,
          bytes: body.byteLength,
          sha256,
          first_created_at: new Date(Math.min(...times)).toISOString(),
          last_created_at: new Date(Math.max(...times)).toISOString(),
          archived_at: new Date().toISOString(),
        }),
      },
    });
    await asUser(user, "GET", `${FEED}unread-count/`);

    const restored = await restore(key);
    expect(restored).toMatchObject({ rows: 3, restored: 3 });
    const after = await allRows(user);
    expect(after).toHaveLength(3);
    for (const [index, row] of after.entries()) {
      for (const column of VERSION_1_COLUMNS) expect(row[column], column).toEqual(before[index]![column]);
      expect(row).toMatchObject({
        is_seen: 1,
        seen_at: null,
        is_archived: 0,
        archived_at: null,
        target_thumbnail: null,
      });
    }
    expect(await counters(user)).toEqual(await recount(user));
    expect(ids(await list(user))).toEqual([id["was read"], id["was unread"], id["was unread too"]]);
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body).toEqual({ unread_count: 2, unseen_count: 0 });
    expect(await cachedBadge(user)).toEqual({ unread: 2, unseen: 0 });

    expect((await restore(key)).restored).toBe(0);
    expect(await allRows(user)).toEqual(after);
  });
});
