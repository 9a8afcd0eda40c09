import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { FEED } from "./support/feed";
import { asUser, BASE, staffToken } from "./support/http";
import { routingCacheExpires } from "./support/moves";
import {
  expectCountersEqualRecount,
  expectWhole,
  faultyShards,
  health,
  pumpJob,
  recordingJobQueue,
  seedUsers,
  snapshot,
  type UserSnapshot,
} from "./support/reshard";

/**
 * A reshard 4 -> 5 whose D1 batches fail while it runs: before they run, and
 * after they committed but before the Worker heard (its answer lost). Each
 * failed step goes back to the queue and is delivered again, as Queues does;
 * the test delivers the job's messages itself to choose when. Whatever step
 * was cut (a copy, the switch, a delete), the job ends with every user whole
 * on exactly one shard.
 */

/** Runs the Worker's fetch handler with another environment (the fault-injecting one). */
async function fetchWith(on: typeof env, method: string, path: string, body?: unknown) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await staffToken()}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    on,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies field by field
  return { status: response.status, body: (await response.json()) as any };
}

describe("a reshard whose steps crash ends whole", () => {
  let users: number[];
  let before: UserSnapshot[];

  beforeAll(async () => {
    users = await seedUsers(3);
    before = await Promise.all(users.map(snapshot));
  });

  it("a step cut at the mark, a copy, the switch or a delete, before or after it commits, is redelivered and the move ends whole", async () => {
    const jobs = recordingJobQueue();
    // Each point of a move, by the SQL of its batch: the mark, a copy onto the new shard, the switch
    // (with the check before it), the deletes of the old rows. The first batch at each point is refused,
    // the second commits but its answer is lost; the step is delivered again either way.
    const points: Record<string, RegExp> = {
      mark: /INSERT INTO user_moves/,
      copy: /INSERT INTO feed_items/,
      switch: /UPDATE user_moves SET state[\s\S]*job_progress|job_progress[\s\S]*UPDATE user_moves SET state/,
      delete: /DELETE FROM feed_items/,
    };
    const seen: Record<string, number> = {};
    const faults = faultyShards((_call, sql) => {
      const point = Object.keys(points).find((name) => points[name]!.test(sql));
      if (!point) return null;
      seen[point] = (seen[point] ?? 0) + 1;
      return seen[point] === 1 ? "before" : seen[point] === 2 ? "after" : null;
    });
    const on = { ...env, ...faults.shards, JOB_QUEUE: jobs.queue } as typeof env;
    const started = await fetchWith(on, "POST", "/api/admin/reshard/", { shard_count: 5 });
    expect(started.status).toBe(202);
    const jobId = started.body.job_id as string;

    const movers = users.filter((user) => shardIndexForUser(user, 5) !== shardIndexForUser(user, 4));
    const reads: number[] = [];
    const pumped = await pumpJob(on, jobs.sent, async () => {
      // A moving user's feed answers between any two steps, crashed or not.
      reads.push((await asUser(movers[0]!, "GET", FEED)).status);
    });
    expect(pumped.retries).toBeGreaterThan(0);
    // Every point was cut both ways.
    for (const [name, pattern] of Object.entries(points))
      expect(
        faults.injected.filter((fault) => pattern.test(fault.sql)).map((fault) => fault.fault),
        name,
      ).toEqual(["before", "after"]);
    expect(reads.every((status) => status === 200)).toBe(true);

    const job = await fetchWith(on, "GET", `/api/admin/jobs/${jobId}/`);
    expect(job.body.done, JSON.stringify(job.body)).toBe(true);
    expect(job.body.detail.moved).toBe(movers.length);
    // The Worker's own isolate sees the finished routing once its cached view expires.
    await routingCacheExpires();
    expect(await health()).toEqual({ status: "ok", shards: 5 });
    for (const snap of before) await expectWhole(snap, 5);
    await expectCountersEqualRecount();
  });
});
