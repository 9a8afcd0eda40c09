import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FeedMessage } from "../src/queue/messages";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { eventually, joinedAFastBefore } from "./support/db";
import { call, freshUser, ingest, staffToken } from "./support/http";
import { moverFrom, routeOver, setMoveState, shardBinding } from "./support/moves";
import { deliver, watchedQueues } from "./support/queues";

/**
 * Work that walks a shard's rows (a reminder's fan-out, one user's populate)
 * meeting users a reshard (4 -> 5, its state set by hand) is moving: they are
 * not written behind the copy, nor skipped, but handed on to a run that finds
 * them on their new shard. Work over every shard waits for the reshard.
 */

const count = async (shard: number, sql: string, ...binds: unknown[]) =>
  (
    await shardBinding(shard)
      .prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? 0;

const remindersOn = (shard: number, user: number) =>
  count(shard, "SELECT count(*) AS n FROM feed_items WHERE user_id = ?1 AND activity_type = 'fast_reminder'", user);

/** Copies the user's participation in a fast to the new shard, as the reshard's copy step does. */
async function copyParticipationByHand(user: number, fastId: number, from: number, to: number) {
  const row = await shardBinding(from)
    .prepare("SELECT * FROM fast_participants WHERE user_id = ?1 AND fast_id = ?2")
    .bind(user, fastId)
    .first<{ is_participant: number; changed_at: number; fast_name: string | null }>();
  await shardBinding(to)
    .prepare(
      `INSERT INTO fast_participants (fast_id, user_id, is_participant, changed_at, fast_name) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT DO NOTHING`,
    )
    .bind(fastId, user, row!.is_participant, row!.changed_at, row!.fast_name)
    .run();
}

describe("a reminder's fan-out meeting a user a reshard is moving", () => {
  let mover: number;
  let stayer: number;
  let from: number;
  let to: number;
  let fastId: number;

  beforeEach(async () => {
    mover = moverFrom(freshUser());
    from = shardIndexForUser(mover, 4);
    to = shardIndexForUser(mover, 5);
    // On the same shard as the mover, staying there: the same chunk finds both.
    stayer = freshUser();
    while (shardIndexForUser(stayer, 4) !== from || shardIndexForUser(stayer, 5) !== from) stayer += 1;
    fastId = 90_000 + Math.floor(Math.random() * 1_000_000);
    await joinedAFastBefore(mover, stayer);
    await ingest(
      [mover, stayer].map((user) => ({ user_id: user, activity_type: "fast_join", data: { fast_id: fastId } })),
    );
    await routeOver(4, 5);
  });

  afterEach(async () => {
    await setMoveState(mover, from, to, null);
    await routeOver(null);
  });

  it("writes nothing behind the copy, and reaches the user on their new shard once, after the switch", async () => {
    await setMoveState(mover, from, to, "copying");
    const token = await staffToken();
    const reminder = { kind: "fast_reminder", fast_id: fastId, fast_name: "Apostles' Fast" };
    const sent = await call("POST", "/api/internal/reminders/", { token, body: reminder });
    expect(sent.status).toBe(201);
    // The stayer has theirs now; the mover's is handed on, not written where the copy would leave it behind.
    expect(sent.body).toMatchObject({ targeted_users: 2, created_count: 1 });
    expect(await remindersOn(from, stayer)).toBe(1);
    expect(await remindersOn(from, mover)).toBe(0);

    // The copy lands and is switched while the hand-on waits; it then finds the user on their new shard.
    await copyParticipationByHand(mover, fastId, from, to);
    await setMoveState(mover, from, to, "switched");
    await eventually(async () => expect(await remindersOn(to, mover)).toBe(1));
    expect(await remindersOn(from, mover)).toBe(0);

    // The same reminder the same day reaches nobody twice.
    const again = await call("POST", "/api/internal/reminders/", { token, body: reminder });
    expect(again.body.created_count).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(await remindersOn(to, mover)).toBe(1);
    expect(await remindersOn(from, stayer)).toBe(1);
  });

  it("on the new shard, a user whose copy is still landing is left to their old shard's walk", async () => {
    // The participation row is on both shards mid-copy; only the old shard's walk may act on it.
    await setMoveState(mover, from, to, "copying");
    await copyParticipationByHand(mover, fastId, from, to);
    const sent = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(sent.body.created_count).toBe(1);
    expect(await remindersOn(to, mover)).toBe(0);
    const progress = await call("GET", `/api/admin/jobs/${sent.body.job_id}/`, { token: await staffToken() });
    expect(progress.body.detail).toMatchObject({ handed_on: 1 });
    await setMoveState(mover, from, to, "switched");
    await eventually(async () => expect(await remindersOn(to, mover)).toBe(1));
  });
});

describe("one user's populate meeting a reshard that moves them", () => {
  it("runs on their new shard once they are switched, creating the items their copied events lack", async () => {
    const mover = moverFrom(freshUser());
    const from = shardIndexForUser(mover, 4);
    const to = shardIndexForUser(mover, 5);
    await routeOver(4, 5);
    try {
      // An event whose item is gone on the new shard (as after a partial regeneration): populate makes it.
      const created = await ingest({ user_id: mover, activity_type: "fast_start", event_id: "walk-populate" });
      expect(created.created_count).toBe(1);
      const event = await shardBinding(from)
        .prepare("SELECT * FROM events WHERE user_id = ?1 AND source_event_id = 'walk-populate'")
        .bind(mover)
        .first<Record<string, unknown>>();
      const { id: _id, ...columns } = event!;
      const names = Object.keys(columns);
      await shardBinding(to)
        .prepare(`INSERT INTO events (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`)
        .bind(...Object.values(columns))
        .run();
      await setMoveState(mover, from, to, "copying");

      const message: FeedMessage = { v: 1, kind: "populate_user", user_id: mover, days_back: 1 };
      const result = await deliver([message]);
      expect(result.explicitAcks).toHaveLength(1);
      await setMoveState(mover, from, to, "switched");
      await eventually(async () =>
        expect(await count(to, "SELECT count(*) AS n FROM feed_items WHERE user_id = ?1", mover)).toBe(1),
      );
      expect(await count(from, "SELECT count(*) AS n FROM feed_items WHERE user_id = ?1", mover)).toBe(1);
    } finally {
      await setMoveState(mover, from, to, null);
      await routeOver(null);
    }
  });
});

describe("work over every shard during a reshard", () => {
  beforeEach(() => routeOver(4, 5));
  afterEach(() => routeOver(null));

  it.each([
    ["cleanup", { v: 1, kind: "cleanup", only_read: true } as FeedMessage],
    ["populate_all", { v: 1, kind: "populate_all", days_back: 7 } as FeedMessage],
  ])("a %s message waits for it: acked, sent again for later, no job started", async (_kind, message) => {
    const queues = watchedQueues();
    const jobsBefore = await call("GET", "/api/admin/jobs/", { token: await staffToken() });
    const result = await deliver([message], { on: queues.env, ids: ["whole-1"] });
    expect(result.explicitAcks).toEqual(["whole-1"]);
    expect(result.retryMessages).toEqual([]);
    expect(queues.sent.FEED_QUEUE).toEqual([expect.objectContaining({ kind: message.kind })]);
    expect(queues.sent.JOB_QUEUE).toEqual([]);
    const jobsAfter = await call("GET", "/api/admin/jobs/", { token: await staffToken() });
    expect(jobsAfter.body).toEqual(jobsBefore.body);
  });
});
