import { describe, expect, it } from "vitest";
import { joinedAFastBefore, shardOf } from "./support/db";
import { FEED, list } from "./support/feed";
import { asUser, call, freshUser, ingest, staffToken } from "./support/http";
import { deliver } from "./support/queues";
import { HOUR, isoAgo } from "./support/time";

/** target_thumbnail (issue 14): a URL of the target's image, from the producer to the item. */

const COVER = "https://cdn.example.org/fasts/12/cover.jpg";

/** An https URL of exactly `bytes` bytes of UTF-8. */
const urlOfBytes = (bytes: number, filler = "a") => {
  const prefix = "https://cdn.example.org/";
  const fillerBytes = new TextEncoder().encode(filler).length;
  return prefix + filler.repeat(Math.floor((bytes - prefix.length) / fillerBytes));
};

const postEvents = async (body: unknown) => call("POST", "/api/internal/events/", { token: await staffToken(), body });

describe("target_thumbnail", () => {
  it("an event's target_thumbnail is returned on its item, in the list and in recent_activity", async () => {
    const user = freshUser();
    await ingest([
      { user_id: user, activity_type: "fast_start", target_thumbnail: COVER, data: { fast_id: 12 } },
      { user_id: user, activity_type: "devotional_available", target_thumbnail: "http://img.example.org/d.png" },
    ]);
    const page = await list(user);
    expect(page.results.map((item) => item.target_thumbnail).sort()).toEqual(
      [COVER, "http://img.example.org/d.png"].sort(),
    );
    const recent = (await asUser(user, "GET", `${FEED}summary/`)).body.recent_activity as {
      target_thumbnail: string;
    }[];
    expect(recent.map((item) => item.target_thumbnail).sort()).toEqual([COVER, "http://img.example.org/d.png"].sort());
  });

  it("is null when the event has none, and on the first-fast milestone", async () => {
    const user = freshUser();
    await ingest([
      { user_id: user, activity_type: "fast_start", data: { fast_id: 1 } },
      { user_id: user, activity_type: "milestone", target_thumbnail: null, data: { fast_id: 1 } },
      { user_id: user, activity_type: "fast_join", target_thumbnail: COVER, data: { fast_id: 1 } },
    ]);
    const byTitle = Object.fromEntries((await list(user)).results.map((item) => [item.title, item.target_thumbnail]));
    expect(byTitle).toEqual({
      "Fast #1 has begun": null,
      "Fast #1 reached participation milestone": null,
      "Joined Fast #1": COVER,
      "Joined your first fast": null,
    });
  });

  it.each([
    ["an ftp URL", "ftp://cdn.example.org/cover.jpg"],
    ["a javascript: URL", "javascript:alert(1)"],
    ["a relative path", "/fasts/12/cover.jpg"],
    ["text", "cover"],
    ["an empty string", ""],
    ["a number", 12],
  ])("%s is 400 naming the field, in one event and in a batch", async (_name, thumbnail) => {
    const user = freshUser();
    const single = await postEvents({ user_id: user, activity_type: "fast_start", target_thumbnail: thumbnail });
    expect(single.status).toBe(400);
    expect(Object.keys(single.body)).toEqual(["target_thumbnail"]);
    const batch = await postEvents({
      events: [
        { user_id: user, activity_type: "fast_start" },
        { user_id: user, activity_type: "fast_start", target_thumbnail: thumbnail },
      ],
    });
    expect(batch.status).toBe(400);
    expect(Object.keys(batch.body)).toEqual(["events.1.target_thumbnail"]);
    expect((await list(user)).count).toBe(0);
  });

  it("a URL of 2,048 bytes is taken; one byte more, or 2,050 bytes of non-ASCII text, is 400", async () => {
    const user = freshUser();
    const longest = urlOfBytes(2_048);
    expect(new TextEncoder().encode(longest).length).toBe(2_048);
    const taken = await postEvents({ user_id: user, activity_type: "fast_start", target_thumbnail: longest });
    expect(taken.status).toBe(201);
    expect((await list(user)).results[0]!.target_thumbnail).toBe(longest);

    const nonAscii = urlOfBytes(2_050, "é");
    // Bytes, not characters: it is far shorter than 2,048 characters.
    expect(nonAscii.length).toBeLessThan(1_100);
    for (const tooLong of [`${longest}a`, nonAscii]) {
      const refused = await postEvents({ user_id: user, activity_type: "fast_start", target_thumbnail: tooLong });
      expect(refused.status).toBe(400);
      expect(Object.keys(refused.body)).toEqual(["target_thumbnail"]);
    }
    expect((await list(user)).count).toBe(1);
  });

  it("a create_item message's thumbnail reaches its item", async () => {
    const user = freshUser();
    const result = await deliver([
      { v: 1, kind: "create_item", event: { user_id: user, activity_type: "fast_start", target_thumbnail: COVER } },
    ]);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await list(user)).results.map((item) => item.target_thumbnail)).toEqual([COVER]);
  });

  it("a reminder's target_thumbnail reaches every participant's item; a bad one is 400", async () => {
    const fastId = 400_000 + Math.floor(Math.random() * 1_000_000);
    const users = Array.from({ length: 4 }, () => freshUser());
    await joinedAFastBefore(...users);
    await ingest(users.map((user) => ({ user_id: user, activity_type: "fast_join", data: { fast_id: fastId } })));
    const token = await staffToken();

    for (const [kind, extra] of [
      ["fast_reminder", {}],
      ["devotional_reminder", { devotional_id: 3 }],
    ] as const) {
      const response = await call("POST", "/api/internal/reminders/", {
        token,
        body: { kind, fast_id: fastId, target_thumbnail: COVER, ...extra },
      });
      expect(response.status).toBe(201);
      expect(response.body.created_count).toBe(4);
      for (const user of users) {
        const page = await list(user, { activity_type: kind });
        expect(page.results.map((item) => item.target_thumbnail)).toEqual([COVER]);
      }
    }

    const bad = await call("POST", "/api/internal/reminders/", {
      token,
      body: { kind: "fast_reminder", fast_id: fastId, target_thumbnail: "ftp://x.example.org/a.png" },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body)).toEqual(["target_thumbnail"]);
  });

  it("generate and populate rebuild an item with its thumbnail (it is stored with the event)", async () => {
    const user = freshUser();
    const token = await staffToken();
    await ingest({
      user_id: user,
      activity_type: "fast_start",
      event_id: "thumb-regen",
      occurred_at: isoAgo(HOUR),
      target_thumbnail: COVER,
      data: { fast_id: 12 },
    });
    const deleteItems = () => shardOf(user).prepare("DELETE FROM feed_items WHERE user_id = ?").bind(user).run();

    await deleteItems();
    const generated = await call("POST", "/api/events/activity-feed/generate/", {
      token,
      body: { user_id: user, days_back: 7 },
    });
    expect(generated.body.created_count).toBe(1);
    expect((await list(user)).results.map((item) => item.target_thumbnail)).toEqual([COVER]);

    await deleteItems();
    const populated = await call("POST", "/api/admin/populate/", { token, body: { user_id: user, days_back: 7 } });
    expect(populated.body.created_count).toBe(1);
    expect((await list(user)).results.map((item) => item.target_thumbnail)).toEqual([COVER]);
  });
});
