import { describe, expect, it } from "vitest";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { joinedAFastBefore } from "./support/db";
import { call, freshUser, ingest, staffToken, waitForJob } from "./support/http";
import { binding, expectCountersEqualRecount, startReshardCall } from "./support/reshard";

/**
 * Reminders sent again and again while the real reshard job moves their
 * participants (4 -> 5): every request succeeds, and once the hand-ons have
 * run every participant has exactly one item per reminder, on the shard the
 * new count routes them to. (test/reshard-walks.test.ts sets each move state
 * by hand.)
 */

const PARTICIPANTS = 60;
const FASTS = 12;

/** Each participant's reminder items per fast, over every shard. */
async function remindersPerFast(users: readonly number[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let shard = 0; shard < 5; shard++) {
    const { results } = await binding(shard)
      .prepare(
        `SELECT user_id AS user, data ->> 'fast_id' AS fast, count(*) AS n FROM feed_items
         WHERE activity_type = 'fast_reminder' AND user_id IN (SELECT value FROM json_each(?1))
         GROUP BY user_id, fast`,
      )
      .bind(JSON.stringify(users))
      .all<{ user: number; fast: number; n: number }>();
    for (const row of results) {
      // A user's reminders must be on the shard 5 shards route them to.
      expect(shardIndexForUser(row.user, 5)).toBe(shard);
      const key = `${row.user}:${row.fast}`;
      counts.set(key, (counts.get(key) ?? 0) + row.n);
    }
  }
  return counts;
}

describe("reminders while a reshard moves their participants", () => {
  it("reach every participant exactly once, wherever the move had got to", async () => {
    const users = Array.from({ length: PARTICIPANTS }, () => freshUser());
    expect(users.some((user) => shardIndexForUser(user, 5) !== shardIndexForUser(user, 4))).toBe(true);
    const fasts = Array.from({ length: FASTS }, (_, n) => 700_000 + n);
    await joinedAFastBefore(...users);
    for (const fast of fasts)
      await ingest(users.map((user) => ({ user_id: user, activity_type: "fast_join", data: { fast_id: fast } })));

    const token = await staffToken();
    const started = await startReshardCall(5);
    expect(started.status).toBe(202);
    const sent: number[] = [];
    const statuses: number[] = [];
    let done = false;
    // One new fast's reminder after another until the job is done (and the rest after it).
    for (const fast of fasts) {
      const response = await call("POST", "/api/internal/reminders/", {
        token,
        body: { kind: "fast_reminder", fast_id: fast },
      });
      statuses.push(response.status);
      sent.push(fast);
      done ||= (await call("GET", `/api/admin/jobs/${started.body.job_id}/`, { token })).body.done;
      if (!done) await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await waitForJob(started.body.job_id, 60_000);
    expect(statuses.every((status) => status === 201)).toBe(true);

    // Handed-on users get theirs a few seconds after their move.
    const expected = users.length * sent.length;
    const deadline = Date.now() + 40_000;
    let counts = await remindersPerFast(users);
    while ([...counts.values()].reduce((sum, n) => sum + n, 0) < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      counts = await remindersPerFast(users);
    }
    for (const user of users) for (const fast of sent) expect(counts.get(`${user}:${fast}`), `${user}:${fast}`).toBe(1);
    await expectCountersEqualRecount();
  });
});
