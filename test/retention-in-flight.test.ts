import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { RETENTION_STALLED_AFTER_MS, UNFINISHED_JOB_WAIT_LIMIT_MS } from "../src/retention/in-flight";
import { retentionCronDecision } from "../src/scheduled/cron";
import { itemCount, SHARD_COUNT } from "./support/db";
import { call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { finishMadeJobs, retentionJobIds, unfinishedRetentionJob } from "./support/jobs";
import { deliver, watchedQueues } from "./support/queues";
import { DAY, isoAgo, MINUTE } from "./support/time";

/**
 * One retention job at a time: the daily cron, staff requests and queue
 * requests against retention jobs that are still unfinished.
 */

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
afterEach(finishMadeJobs);

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
    const stuck = await unfinishedRetentionJob(3 * RETENTION_STALLED_AFTER_MS, (shard) =>
      shard === 0 ? RETENTION_STALLED_AFTER_MS + MINUTE : MINUTE,
    );

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

describe("staff and queue requests while a retention job is unfinished", () => {
  it("cleanup and archive answer 409 naming the moving job and start nothing; a dry run still answers", async () => {
    const user = await userWithExpiredItem();
    const running = await unfinishedRetentionJob(10 * MINUTE, () => MINUTE);
    const token = await staffToken();
    const before = await retentionJobIds();

    const cleanup = await call("POST", "/api/admin/cleanup/", { token, body: {} });
    const archive = await call("POST", "/api/admin/archive/", { token, body: { older_than_days: 400 } });

    for (const refused of [cleanup, archive]) {
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain(running);
    }
    expect(await retentionJobIds()).toEqual(before);
    expect(await itemCount(user)).toBe(1);
    const dryRun = await call("POST", "/api/admin/cleanup/", { token, body: { dry_run: true } });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.total).toBeGreaterThanOrEqual(1);
  });

  it("a job stalled for the whole stall time does not hold up a new run", async () => {
    const user = await userWithExpiredItem();
    await unfinishedRetentionJob(3 * RETENTION_STALLED_AFTER_MS, () => RETENTION_STALLED_AFTER_MS + MINUTE);

    const run = await call("POST", "/api/admin/cleanup/", { token: await staffToken(), body: {} });

    expect(run.status).toBe(202);
    await waitForJob(run.body.job_id);
    expect(await itemCount(user)).toBe(0);
  });

  it("resuming a retention job answers 409 while another one moves; the moving one itself may be resumed", async () => {
    const stalled = await unfinishedRetentionJob(
      3 * RETENTION_STALLED_AFTER_MS,
      () => RETENTION_STALLED_AFTER_MS + MINUTE,
    );
    const moving = await unfinishedRetentionJob(10 * MINUTE, () => MINUTE);
    const token = await staffToken();

    const refused = await call("POST", `/api/admin/jobs/${stalled}/resume/`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(moving);

    const resumed = await call("POST", `/api/admin/jobs/${moving}/resume/`, { token });
    expect(resumed.status).toBe(202);
    expect(resumed.body.resumed_shards).toHaveLength(SHARD_COUNT);
    expect((await waitForJob(moving)).done).toBe(true);
  });

  it("a cleanup message is acked without starting a job, and nothing is sent on", async () => {
    const user = await userWithExpiredItem();
    await unfinishedRetentionJob(10 * MINUTE, () => MINUTE);
    const before = await retentionJobIds();
    const queues = watchedQueues();

    const result = await deliver([{ v: 1, kind: "cleanup", only_read: false }], {
      ids: ["cleanup-while-running"],
      on: queues.env,
    });

    expect(result.explicitAcks).toEqual(["cleanup-while-running"]);
    expect(result.retryMessages).toEqual([]);
    expect(queues.sent).toEqual({ FEED_QUEUE: [], JOB_QUEUE: [] });
    expect(await retentionJobIds()).toEqual(before);
    expect(await itemCount(user)).toBe(1);
  });
});

describe("retentionCronDecision", () => {
  const now = Date.now();
  const job = (jobId: string, startedAgo: number, movedAgo: number) => ({
    jobId,
    startedAt: now - startedAgo,
    slowestProgressAt: now - movedAgo,
  });
  const stalled = RETENTION_STALLED_AFTER_MS + MINUTE;

  it("starts a job when none is unfinished", () => {
    expect(retentionCronDecision([], now)).toEqual({ action: "start" });
  });

  it("waits while any unfinished job still moves, even beside a stalled one", () => {
    expect(retentionCronDecision([job("a", 2 * DAY, stalled), job("b", DAY, MINUTE)], now)).toEqual({
      action: "wait",
      unfinished: ["a", "b"],
    });
  });

  it("resumes only the newest when every unfinished job has stalled", () => {
    expect(retentionCronDecision([job("old", 2 * DAY, stalled), job("new", DAY, stalled)], now)).toEqual({
      action: "resume",
      jobId: "new",
      unfinished: ["old", "new"],
    });
  });

  it("counts a job as moving until its slowest shard has been still for the whole stall time", () => {
    expect(retentionCronDecision([job("a", DAY, RETENTION_STALLED_AFTER_MS - MINUTE)], now).action).toBe("wait");
    expect(retentionCronDecision([job("a", DAY, RETENTION_STALLED_AFTER_MS)], now).action).toBe("resume");
  });
});
