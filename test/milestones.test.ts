import { describe, expect, it } from "vitest";
import type { FeedMessage } from "../src/queue/messages";
import { counters, itemCount, recount, shardOf } from "./support/db";
import { FEED, type Item, list, mute } from "./support/feed";
import { asUser, freshUser, ingest } from "./support/http";
import { deliver } from "./support/queues";
import { DAY, HOUR, isoAgo } from "./support/time";

/** The first-fast milestone (issue 14): a user's first fast_join brings one "Joined your first fast", once ever. */

const TITLE = "Joined your first fast";

const join = (user: number, eventId: string, fastId: number | null, extra: Record<string, unknown> = {}) => ({
  user_id: user,
  activity_type: "fast_join",
  event_id: eventId,
  data: fastId === null ? {} : { fast_id: fastId, fast_name: `Fast ${fastId}` },
  ...extra,
});

const milestoneCount = (user: number) => itemCount(user, `activity_type = 'milestone' AND title = '${TITLE}'`);

async function milestones(user: number): Promise<Item[]> {
  const page = await list(user, { activity_type: "milestone", archived: "include" });
  return page.results.filter((item) => item.title === TITLE);
}

const expectCountersExact = async (user: number) => expect(await counters(user)).toEqual(await recount(user));

describe("first-fast milestone", () => {
  it("a user's first fast_join creates exactly one milestone item about that fast", async () => {
    const user = freshUser();
    const occurredAt = isoAgo(HOUR);
    const response = await ingest({
      ...join(user, "first-1", 5),
      data: { fast_id: 5, fast_name: "Dormition Fast" },
      occurred_at: occurredAt,
    });
    expect(response.created_count).toBe(2);
    expect(response.duplicate_count).toBe(0);
    expect(response.results.map((item) => [item.activity_type, item.title])).toEqual([
      ["fast_join", "Joined Dormition Fast"],
      ["milestone", TITLE],
    ]);

    const [milestone, ...others] = await milestones(user);
    expect(others).toEqual([]);
    expect(milestone).toMatchObject({
      id: response.results[1]!.id,
      activity_type: "milestone",
      activity_type_display: "Milestone Reached",
      title: TITLE,
      description: TITLE,
      data: { achievement: "first_fast_join", fast_id: 5, fast_name: "Dormition Fast" },
      target_type: "hub.fast",
      target_id: 5,
      target_thumbnail: null,
      is_read: false,
      is_seen: false,
      is_archived: false,
      created_at: new Date(occurredAt).toISOString(),
    });
    expect(Object.keys(milestone!.data as object).sort()).toEqual(["achievement", "fast_id", "fast_name"]);
    expect((await asUser(user, "GET", `${FEED}unread-count/`)).body).toEqual({ unread_count: 2, unseen_count: 2 });
    await expectCountersExact(user);
  });

  it("a second join creates no milestone", async () => {
    const user = freshUser();
    await ingest(join(user, "second-1", 5));
    const second = await ingest(join(user, "second-2", 6));
    expect(second.created_count).toBe(1);
    expect(second.results[0]!.activity_type).toBe("fast_join");
    expect(await milestoneCount(user)).toBe(1);
    await expectCountersExact(user);
  });

  it("two joins in one batch create one milestone, about the earlier of them", async () => {
    const user = freshUser();
    const response = await ingest([
      join(user, "batch-later", 8, { occurred_at: isoAgo(HOUR) }),
      join(user, "batch-earlier", 7, { occurred_at: isoAgo(2 * HOUR) }),
    ]);
    expect(response.created_count).toBe(3);
    const found = await milestones(user);
    expect(found).toHaveLength(1);
    expect(found[0]!.data).toMatchObject({ fast_id: 7, fast_name: "Fast 7" });
    const earlierJoin = (await list(user, { activity_type: "fast_join" })).results.find(
      (item) => item.title === "Joined Fast 7",
    );
    expect(found[0]!.created_at).toBe(earlierJoin!.created_at);
    await expectCountersExact(user);
  });

  it("a redelivered first join creates no second milestone", async () => {
    const user = freshUser();
    await ingest(join(user, "redelivered", 9));
    const again = await ingest(join(user, "redelivered", 9));
    expect(again).toMatchObject({ created_count: 0, duplicate_count: 1 });
    expect(await milestoneCount(user)).toBe(1);
    expect(await itemCount(user)).toBe(2);
  });

  it("two concurrent first joins of one user create one milestone", async () => {
    const users = Array.from({ length: 4 }, () => freshUser());
    const answers = await Promise.all(
      users.flatMap((user) => [ingest(join(user, "race-a", 11)), ingest(join(user, "race-b", 12))]),
    );
    for (const [index, user] of users.entries()) {
      expect(await milestoneCount(user), `user ${user}`).toBe(1);
      expect(await itemCount(user, "activity_type = 'fast_join'")).toBe(2);
      // Exactly one of the two requests announced it.
      const announced = answers
        .slice(index * 2, index * 2 + 2)
        .map((answer) => answer.results.filter((item) => item.title === TITLE).length);
      expect(announced.sort()).toEqual([0, 1]);
      await expectCountersExact(user);
    }
  });

  it("a join without a fast_id creates no milestone; a later join that names a fast (by target) does", async () => {
    const user = freshUser();
    const unnamed = await ingest(join(user, "no-fast", null));
    expect(unnamed.created_count).toBe(1);
    expect(await milestoneCount(user)).toBe(0);

    const named = await ingest({
      user_id: user,
      activity_type: "fast_join",
      event_id: "by-target",
      target_type: "hub.fast",
      target_id: 13,
    });
    expect(named.created_count).toBe(2);
    const [milestone] = await milestones(user);
    expect(milestone).toMatchObject({ target_type: "hub.fast", target_id: 13, data: { fast_id: 13 } });
  });

  it("a user whose earlier fast_join is stored (from before milestones) gets none", async () => {
    const user = freshUser();
    const longAgo = Date.now() - 400 * DAY;
    await shardOf(user)
      .prepare(
        `INSERT INTO events (user_id, event_type, source_event_id, fast_id, data, occurred_at, received_at, ingest_id)
         VALUES (?1, 'fast_join', 'history-join', 3, '{"fast_id":3}', ?2, ?2, 'before-milestones')`,
      )
      .bind(user, longAgo)
      .run();
    const response = await ingest(join(user, "after-history", 4));
    expect(response.created_count).toBe(1);
    expect(response.results[0]!.activity_type).toBe("fast_join");
    expect(await milestoneCount(user)).toBe(0);
    // Nor does a later one.
    await ingest(join(user, "after-history-2", 5));
    expect(await milestoneCount(user)).toBe(0);
  });

  it("a user who mutes milestone gets none, and unmuting later does not bring it", async () => {
    const user = freshUser();
    await mute(user, "milestone");
    const response = await ingest(join(user, "muted-first", 14));
    expect(response.created_count).toBe(1);
    expect(response.results[0]!.activity_type).toBe("fast_join");
    expect(await milestoneCount(user)).toBe(0);
    await mute(user);
    await ingest(join(user, "unmuted-second", 15));
    expect(await milestoneCount(user)).toBe(0);
    await expectCountersExact(user);
  });

  it("deleting the milestone item (and the events behind it) does not let a later join bring it back", async () => {
    const user = freshUser();
    await ingest(join(user, "deleted-1", 16));
    expect(await milestoneCount(user)).toBe(1);
    // As retention would: the milestone item goes, then the events.
    await shardOf(user)
      .prepare("DELETE FROM feed_items WHERE user_id = ? AND activity_type = 'milestone'")
      .bind(user)
      .run();
    await ingest(join(user, "deleted-2", 17));
    expect(await milestoneCount(user)).toBe(0);
    await shardOf(user).prepare("DELETE FROM feed_items WHERE user_id = ?").bind(user).run();
    await shardOf(user).prepare("DELETE FROM events WHERE user_id = ?").bind(user).run();
    await ingest(join(user, "deleted-3", 18));
    // The first join again, redelivered after its event is gone, is not a first join either.
    await ingest(join(user, "deleted-1", 16));
    expect(await milestoneCount(user)).toBe(0);
    expect(await itemCount(user)).toBe(2);
    await expectCountersExact(user);
  });

  it("through the queue consumer: one milestone, none on redelivery, one for two joins in a batch", async () => {
    const createItem = (event: Record<string, unknown>): FeedMessage => ({
      v: 1,
      kind: "create_item",
      event: event as never,
    });
    const user = freshUser();
    const message = createItem(join(user, "queued-1", 19));
    const first = await deliver([message], { ids: ["milestone-msg-1"] });
    expect(first.explicitAcks).toEqual(["milestone-msg-1"]);
    expect(await milestoneCount(user)).toBe(1);
    await deliver([message], { ids: ["milestone-msg-1"], attempts: 2 });
    await deliver([createItem(join(user, "queued-2", 20))]);
    expect(await milestoneCount(user)).toBe(1);
    expect(await itemCount(user)).toBe(3);
    await expectCountersExact(user);

    const batchUser = freshUser();
    const batch = await deliver([
      { v: 1, kind: "batch_create", events: [join(batchUser, "qb-1", 21), join(batchUser, "qb-2", 22)] as never },
      createItem(join(batchUser, "qb-3", 23)),
    ]);
    expect(batch.explicitAcks).toHaveLength(2);
    expect(await milestoneCount(batchUser)).toBe(1);
    expect(await itemCount(batchUser)).toBe(4);
    await expectCountersExact(batchUser);

    // Two invocations at once for a fresh user.
    const racer = freshUser();
    await Promise.all([deliver([createItem(join(racer, "qr-1", 24))]), deliver([createItem(join(racer, "qr-2", 25))])]);
    expect(await milestoneCount(racer)).toBe(1);
    await expectCountersExact(racer);
  });
});
