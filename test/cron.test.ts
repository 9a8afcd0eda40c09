import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { createJob } from "../src/jobs/runner";
import { RETENTION_STALLED_AFTER_MS, retentionCronDecision, UNFINISHED_JOB_WAIT_LIMIT_MS } from "../src/scheduled/cron";
import { allShards, itemCount } from "./support/db";
import { call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { DAY, isoAgo, MINUTE } from "./support/time";

/** The daily cron against retention jobs that are still unfinished. */

const created: string[] = [];

/**
 * A retention job's progress rows on every shard, as if it started `startedAgo`
 * and each shard last moved `movedAgo(shard)` ago; nothing is queued for it.
 */
async function unfinishedRetentionJob(startedAgo: number, movedAgo: (shard: number) => number = () => startedAgo): Promise<string> {
  const now = Date.now();
  const job = await createJob(env, "retention", { plan: { cutoffs: { event: now - 450 * DAY }, onlyRead: false }, archive: false }, now - startedAgo);
  created.push(job.jobId);
  await Promise.all(
    allShards().map((shard, index) => shard.prepare("UPDATE job_progress SET updated_at = ?2 WHERE job_id = ?1").bind(job.jobId, now - movedAgo(index)).run()),
  );
  return job.jobId;
}

async function retentionJobIds(): Promise<string[]> {
  const listing = await call("GET", "/api/admin/jobs/?limit=50", { token: await staffToken() });
  return listing.body.results.filter((job: { kind: string }) => job.kind === "retention").map((job: { job_id: string }) => job.job_id);
}

/** Runs the daily cron; returns the retention jobs it started. */
async function runCron(): Promise<string[]> {
  const before = new Set(await retentionJobIds());
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "0 2 * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
  return (await retentionJobIds()).filter((jobId) => !before.has(jobId));
}

/** A user with one `event` item 500 days old: past every retention, so any cleanup removes it. */
async function userWithExpiredItem(): Promise<number> {
  const user = freshUser();
  await ingest({ user_id: user, activity_type: "event", occurred_at: isoAgo(500 * DAY), title: "old" });
  expect(await itemCount(user)).toBe(1);
  return user;
}

// Each test's jobs are its own: none is left unfinished to hold up the next test's cron.
afterEach(async () => {
  for (const jobId of created.splice(0)) {
    await Promise.all(allShards().map((shard) => shard.prepare("UPDATE job_progress SET done = 1 WHERE job_id = ?1").bind(jobId).run()));
  }
});

describe("daily cron with an unfinished retention job", () => {
  it("starts no second job while the earlier one is progressing, and leaves it alone", async () => {
    const user = await userWithExpiredItem();
    const running = await unfinishedRetentionJob(10 * MINUTE, () => MINUTE);

    expect(await runCron()).toEqual([]);

    // A resumed step would arrive at once (the job queue has no batch window); 3 s leave room on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const job = await call("GET", `/api/admin/jobs/${running}/`, { token: await staffToken() });
    expect(job.body.shards.every((shard: { step: number }) => shard.step === 0)).toBe(true);
    expect(await itemCount(user)).toBe(1);
  });

  it("resumes a job stuck on one shard instead of starting another", async () => {
    const user = await userWithExpiredItem();
    // Shard 0 has not moved for over an hour; the others moved a minute ago.
    const stuck = await unfinishedRetentionJob(3 * RETENTION_STALLED_AFTER_MS, (shard) => (shard === 0 ? RETENTION_STALLED_AFTER_MS + MINUTE : MINUTE));

    expect(await runCron()).toEqual([]);

    const job = await waitForJob(stuck);
    expect(job.shards.every((shard: { step: number }) => shard.step >= 1)).toBe(true);
    expect(await itemCount(user)).toBe(0);
  });

  it("does not wait for a job unfinished for longer than its limit", async () => {
    const user = await userWithExpiredItem();
    const abandoned = await unfinishedRetentionJob(UNFINISHED_JOB_WAIT_LIMIT_MS + DAY);

    const started = await runCron();

    expect(started).toHaveLength(1);
    await waitForJob(started[0]!);
    expect(await itemCount(user)).toBe(0);
    // Left as it was: not resumed, still listed for an operator.
    const old = await call("GET", `/api/admin/jobs/${abandoned}/`, { token: await staffToken() });
    expect(old.body.done).toBe(false);
    expect(old.body.shards.every((shard: { step: number }) => shard.step === 0)).toBe(true);
  });
});

describe("retentionCronDecision", () => {
  const now = Date.now();
  const job = (jobId: string, startedAgo: number, movedAgo: number) => ({ jobId, startedAt: now - startedAgo, slowestProgressAt: now - movedAgo });
  const stalled = RETENTION_STALLED_AFTER_MS + MINUTE;

  it("starts a job when none is unfinished", () => {
    expect(retentionCronDecision([], now)).toEqual({ action: "start" });
  });

  it("waits while any unfinished job still moves, even beside a stalled one", () => {
    expect(retentionCronDecision([job("a", 2 * DAY, stalled), job("b", DAY, MINUTE)], now)).toEqual({ action: "wait", unfinished: ["a", "b"] });
  });

  it("resumes only the newest when every unfinished job has stalled", () => {
    expect(retentionCronDecision([job("old", 2 * DAY, stalled), job("new", DAY, stalled)], now)).toEqual({ action: "resume", jobId: "new", unfinished: ["old", "new"] });
  });

  it("counts a job as moving until its slowest shard has been still for the whole stall time", () => {
    expect(retentionCronDecision([job("a", DAY, RETENTION_STALLED_AFTER_MS - MINUTE)], now).action).toBe("wait");
    expect(retentionCronDecision([job("a", DAY, RETENTION_STALLED_AFTER_MS)], now).action).toBe("resume");
  });
});
