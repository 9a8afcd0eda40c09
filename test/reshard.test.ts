import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createStaffClient } from "../src/client";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { eventually } from "./support/db";
import { FEED, list } from "./support/feed";
import { asUser, BASE, call, staffToken, tokenFor, waitForJob } from "./support/http";
import {
  expectCountersEqualRecount,
  expectWhole,
  health,
  seedUsers,
  snapshot,
  startReshardCall,
  type UserSnapshot,
} from "./support/reshard";

/**
 * The reshard job through the Worker's entry points: POST /api/admin/reshard/
 * starts it, the job queue's consumer runs it, and every user ends whole on
 * the shard the new count hashes them to, under the ids and cursors clients
 * held before. (test/moving-users.test.ts sets each move state by hand.)
 */

describe("POST /api/admin/reshard/ validates the target", () => {
  it("refuses more shards than the bindings, in DRF's words", async () => {
    const response = await startReshardCall(9);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ shard_count: ["Ensure this value is less than or equal to 8."] });
  });

  it("refuses a count that does not grow the deployment", async () => {
    const response = await startReshardCall(4);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ shard_count: ["Ensure this value is greater than or equal to 5."] });
    expect((await startReshardCall("5")).body).toEqual({ shard_count: ["A valid integer is required."] });
  });

  it("is for staff only", async () => {
    const response = await call("POST", "/api/admin/reshard/", { token: await tokenFor(77), body: { shard_count: 5 } });
    expect(response.status).toBe(403);
  });
});

describe("a reshard from 4 to 5 and then 5 to 8 shards, while the API serves the users it moves", () => {
  let users: number[];
  let before: UserSnapshot[];

  beforeAll(async () => {
    users = await seedUsers(3);
    before = await Promise.all(users.map(snapshot));
  });

  it("4 -> 5 moves exactly the users whose shard changes, each whole on its new shard", async () => {
    const movers = users.filter((user) => shardIndexForUser(user, 5) !== shardIndexForUser(user, 4));
    expect(movers.length).toBeGreaterThan(0);
    const started = await startReshardCall(5);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ from_shards: 4, to_shards: 5 });
    const jobId: string = started.body.job_id;
    // Asking again answers the same reshard; another target waits for it.
    expect((await startReshardCall(5)).body.job_id).toBe(jobId);
    const other = await startReshardCall(6);
    expect(other.status).toBe(409);
    expect(other.body.detail).toContain(jobId);
    expect((await health()).resharding_to).toBe(5);
    // Work over every shard waits for it: it could miss a moving user or write behind the copy.
    const populate = await call("POST", "/api/admin/populate/", { token: await staffToken(), body: { days_back: 7 } });
    expect(populate.status).toBe(409);
    expect(populate.body.detail).toContain(`populating every feed waits until it is done`);

    // While it runs, every request of a moving user succeeds: reads, and writes (which may wait for a copy).
    const mover = movers[0]!;
    const moverIndex = users.indexOf(mover);
    const unread = before[moverIndex]!.items.filter((item) => !item.is_read).map((item) => item.id);
    const during: number[] = [];
    let job = (await call("GET", `/api/admin/jobs/${jobId}/`, { token: await staffToken() })).body;
    for (let round = 0; !job.done && round < 200; round++) {
      const page = await asUser(mover, "GET", FEED);
      during.push(page.status);
      expect(page.body.count).toBe(5);
      // Seen state is not part of the snapshot: a write the move may make wait.
      const seen = await asUser(mover, "POST", `${FEED}mark-seen/`, { activity_ids: [unread[1]] });
      during.push(seen.status);
      job = (await call("GET", `/api/admin/jobs/${jobId}/`, { token: await staffToken() })).body;
    }
    const marked = await asUser(mover, "POST", `${FEED}mark-read/`, { activity_ids: [unread[0]] });
    expect(marked.status).toBe(200);
    expect(marked.body.updated_count).toBe(1);
    const done = await waitForJob(jobId);
    expect(during.every((status) => status === 200)).toBe(true);
    expect(done.detail.moved).toBe(movers.length);
    // The last chain's commit shows the job done; its onDone makes 5 the current count just after.
    await eventually(async () => expect(await health()).toEqual({ status: "ok", shards: 5 }));

    before[moverIndex]!.items.find((item) => item.id === unread[0])!.is_read = true;
    for (const snap of before) await expectWhole(snap, 5);
    await expectCountersEqualRecount();
  });

  it("5 -> 8 moves users onto every new shard; ids and cursors from before both moves still work", async () => {
    // Through the typed staff client this time, as the operator CLI starts it.
    const staff = createStaffClient({
      baseUrl: BASE,
      token: await staffToken(),
      fetch: (input, init) => SELF.fetch(input, init),
    });
    const started = await staff.reshard({ shard_count: 8 });
    expect(started).toMatchObject({ from_shards: 5, to_shards: 8 });
    const done = await waitForJob(started.job_id);
    const movers = users.filter((user) => shardIndexForUser(user, 8) !== shardIndexForUser(user, 5));
    expect(done.detail.moved).toBe(movers.length);
    expect(new Set(movers.map((user) => shardIndexForUser(user, 8)))).toEqual(new Set([5, 6, 7]));
    await eventually(async () => expect(await health()).toEqual({ status: "ok", shards: 8 }));
    for (const snap of before) await expectWhole(snap, 8);
    await expectCountersEqualRecount();
    // An id from before both moves still marks its item read, counted once.
    const snap = before.find((entry) => entry.items.some((item) => !item.is_read))!;
    const id = snap.items.find((item) => !item.is_read)!.id;
    const summaryBefore = (await asUser(snap.user, "GET", `${FEED}summary/`)).body;
    const marked = await asUser(snap.user, "POST", `${FEED}mark-read/`, { activity_ids: [id, id] });
    expect(marked.body.updated_count).toBe(1);
    const summaryAfter = (await asUser(snap.user, "GET", `${FEED}summary/`)).body;
    expect(summaryAfter.unread_count).toBe(summaryBefore.unread_count - 1);
    expect((await list(snap.user, { page_size: "100" })).results.find((item) => item.id === id)?.is_read).toBe(true);
  });

  it("once every binding is in use, a reshard asks for more bindings first", async () => {
    const response = await startReshardCall(8);
    expect(response.status).toBe(400);
    expect(response.body.shard_count[0]).toMatch(/already has 8 shards, every binding wrangler.toml declares/);
  });
});
