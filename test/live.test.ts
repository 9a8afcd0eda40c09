import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { channelName } from "../src/live/changes";
import { joinedAFastBefore, shardOf } from "./support/db";
import { asUser, BASE, call, freshUser, ingest, staffToken, tokenFor } from "./support/http";
import { type Channel, openSocket, openStream, tryOpen } from "./support/live";

const FEED = "/api/events/activity-feed/";
const open: Channel[] = [];
afterEach(() => {
  for (const channel of open.splice(0)) channel.close();
});
async function socket(...args: Parameters<typeof openSocket>) {
  const channel = await openSocket(...args);
  open.push(channel);
  return channel;
}

const event = (user: number, title: string) => ({
  user_id: user,
  activity_type: "fast_start",
  title,
  data: { fast_id: 4 },
});

/** Rows of a user's channel log, read inside the object. */
function channelLogOf(userId: number): Promise<number> {
  const stub = env.FEED_CHANNEL.get(env.FEED_CHANNEL.idFromName(channelName(userId)));
  return runInDurableObject(stub, (_instance, state) => {
    const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'log'").toArray();
    if (tables.length === 0) return 0;
    return Number(state.storage.sql.exec("SELECT count(*) AS n FROM log").one().n);
  });
}

async function isLive(userId: number): Promise<boolean> {
  const row = await shardOf(userId).prepare("SELECT until FROM live_users WHERE user_id = ?").bind(userId).first();
  return row !== null;
}

describe("opening the channel", () => {
  it("is refused with 401 before any upgrade without credentials, with a bad token or a bad ticket", async () => {
    const missing = await tryOpen();
    expect(missing.status).toBe(401);
    expect(missing.webSocket).toBeNull();
    expect(await missing.json()).toEqual({ detail: "Authentication credentials were not provided." });
    const forged = await tryOpen("", { Upgrade: "websocket", Authorization: "Bearer not-a-token" });
    expect(forged.status).toBe(401);
    const badTicket = await tryOpen("?ticket=nope");
    expect(badTicket.status).toBe(401);
    expect(await badTicket.json()).toEqual({ detail: "Invalid or expired ticket." });
  });

  it("answers 426 to a request that is neither a WebSocket nor an event stream", async () => {
    const response = await tryOpen("", { Authorization: `Bearer ${await tokenFor(freshUser())}` });
    expect(response.status).toBe(426);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/Upgrade: websocket/);
  });

  it("says hello first, with the counts the summary gives", async () => {
    const user = freshUser();
    await ingest([event(user, "a"), event(user, "b")]);
    const summary = (await asUser(user, "GET", `${FEED}summary/`)).body;
    const channel = await socket(user);
    expect(channel.messages[0]).toEqual({
      type: "hello",
      seq: 0,
      counts: { unread_count: summary.unread_count, unseen_count: summary.unseen_count, total_items: 2 },
    });
  });

  it("marks the user present while a connection is open, and absent after the last one closes", async () => {
    const user = freshUser();
    const first = await openSocket(user);
    const second = await openSocket(user);
    expect(await isLive(user)).toBe(true);
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await isLive(user)).toBe(true);
    second.close();
    for (let tries = 0; tries < 50 && (await isLive(user)); tries++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await isLive(user)).toBe(false);
  });
});

describe("changes arrive as they commit", () => {
  it("a new item arrives as item.created with the view the list returns, and the counts", async () => {
    const user = freshUser();
    const channel = await socket(user);
    await ingest(event(user, "first"));
    const created = await channel.next("item.created");
    const listed = (await asUser(user, "GET", FEED)).body.results[0];
    expect(created.item).toEqual(listed);
    expect(created.counts).toEqual({ unread_count: 1, unseen_count: 1, total_items: 1 });
    expect(created.seq).toBe(1);
  });

  it("mark-read, mark-seen, archive and their undoing arrive as items.updated with the counts", async () => {
    const user = freshUser();
    const made = await ingest([event(user, "a"), event(user, "b"), event(user, "c")]);
    const [a, b] = made.results.map((item) => item.id);
    const channel = await socket(user);
    await asUser(user, "POST", `${FEED}mark-read/`, { activity_ids: [a, 999_999_999] });
    const read = await channel.next("items.updated");
    expect(read).toMatchObject({
      ids: [a],
      changes: { is_read: true, is_seen: true },
      counts: { unread_count: 2, unseen_count: 2, total_items: 3 },
    });
    const afterRead = channel.messages.length;
    await asUser(user, "POST", `${FEED}mark-seen/`, { mark_all: true, before: "2999-01-01T00:00:00Z" });
    const seen = await channel.next("items.updated", afterRead);
    expect(seen).toMatchObject({ all: true, before: "2999-01-01T00:00:00.000Z", changes: { is_seen: true } });
    expect(seen.counts).toEqual({ unread_count: 2, unseen_count: 0, total_items: 3 });
    const afterSeen = channel.messages.length;
    await asUser(user, "POST", `${FEED}archive/`, { activity_ids: [b] });
    const archived = await channel.next("items.updated", afterSeen);
    expect(archived).toMatchObject({ ids: [b], changes: { is_archived: true } });
    expect(archived.counts).toEqual({ unread_count: 1, unseen_count: 0, total_items: 2 });
    await asUser(user, "POST", `${FEED}unarchive/`, { activity_ids: [b] });
    await asUser(user, "POST", `${FEED}mark-unread/`, { activity_ids: [a] });
    const updates = () => channel.messages.filter((message) => message.type === "items.updated");
    for (let tries = 0; tries < 100 && updates().length < 5; tries++) await new Promise((r) => setTimeout(r, 20));
    expect(
      updates()
        .slice(3)
        .map((message) => [message.ids, message.changes]),
    ).toEqual([
      [[b], { is_archived: false }],
      [[a], { is_read: false }],
    ]);
    // seq strictly increases, one per change.
    const seqs = channel.messages.slice(1).map((message) => message.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it("an action that changes nothing sends nothing", async () => {
    const user = freshUser();
    const [id] = (await ingest(event(user, "a"))).results.map((item) => item.id);
    const channel = await socket(user);
    await asUser(user, "POST", `${FEED}mark-unread/`, { activity_ids: [id] });
    await asUser(user, "GET", FEED);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(channel.messages.map((message) => message.type)).toEqual(["hello"]);
  });

  it("a user's channel never carries another user's changes; a staff token opens only its own", async () => {
    const alice = freshUser();
    const bob = freshUser();
    const aliceChannel = await socket(alice);
    const staffChannel = await socket(999_999, { token: await staffToken() });
    await ingest([event(bob, "bob's"), event(alice, "alice's")]);
    const created = await aliceChannel.next("item.created");
    expect(created.item.title).toBe("alice's");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(aliceChannel.messages.filter((message) => message.type === "item.created")).toHaveLength(1);
    expect(staffChannel.messages.map((message) => message.type)).toEqual(["hello"]);
  });
});

describe("resuming", () => {
  it("since replays every message after it, in order", async () => {
    const user = freshUser();
    const first = await socket(user);
    await ingest(event(user, "one"));
    await first.next("item.created");
    first.close();
    // Reconnected at once: still present, so these are told to the channel.
    const watcher = await socket(user);
    await ingest(event(user, "two"));
    await ingest(event(user, "three"));
    await watcher.next("item.created");
    for (let tries = 0; tries < 100 && watcher.messages.length < 3; tries++)
      await new Promise((r) => setTimeout(r, 20));
    const resumed = await socket(user, { since: 1 });
    const replay = resumed.messages.slice(1);
    expect(resumed.messages[0]).toMatchObject({ type: "hello", seq: 3 });
    expect(replay.map((message) => [message.seq, message.item.title])).toEqual([
      [2, "two"],
      [3, "three"],
    ]);
  });

  it("since within the log but after changes made while nobody was connected gets a reset", async () => {
    const user = freshUser();
    const channel = await openSocket(user);
    await ingest(event(user, "seen live"));
    await channel.next("item.created");
    channel.close();
    for (let tries = 0; tries < 50 && (await isLive(user)); tries++) await new Promise((r) => setTimeout(r, 50));
    await ingest(event(user, "while away"));
    const resumed = await socket(user, { since: 1 });
    expect(resumed.messages.map((message) => message.type)).toEqual(["hello", "reset"]);
    expect(resumed.messages[1]!.counts).toEqual({ unread_count: 2, unseen_count: 2, total_items: 2 });
  });

  it("since older than the log holds gets a reset, and so does a seq from the future", async () => {
    const user = freshUser();
    const channel = await socket(user);
    await ingest(event(user, "one"));
    await channel.next("item.created");
    const stub = env.FEED_CHANNEL.get(env.FEED_CHANNEL.idFromName(channelName(user)));
    // As if a thousand messages later: the log no longer holds seq 1.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("DELETE FROM log WHERE seq = 1");
    });
    expect((await socket(user, { since: 0 })).messages.map((message) => message.type)).toEqual(["hello", "reset"]);
    expect((await socket(user, { since: 99 })).messages.map((message) => message.type)).toEqual(["hello", "reset"]);
  });

  it("the log keeps the last 1,000 messages", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
    const channel = await socket(user);
    await ingest(Array.from({ length: 500 }, (_, n) => event(user, `a${n}`)));
    await ingest(Array.from({ length: 500 }, (_, n) => event(user, `b${n}`)));
    await ingest(Array.from({ length: 30 }, (_, n) => event(user, `c${n}`)));
    for (let tries = 0; tries < 200 && channel.messages.length < 1031; tries++)
      await new Promise((r) => setTimeout(r, 25));
    expect(channel.messages.at(-1)!.seq).toBe(1030);
    expect(await channelLogOf(user)).toBe(1000);
  });
});

describe("tickets for browsers", () => {
  it("a ticket opens its user's channel once", async () => {
    const user = freshUser();
    const issued = await asUser(user, "POST", `${FEED}live/ticket/`);
    expect(issued.status).toBe(200);
    expect(issued.body).toEqual({
      ticket: expect.stringMatching(new RegExp(`^${user}\\.[0-9a-f]{36}$`)),
      expires_in: 60,
    });
    const channel = await socket(user, { ticket: issued.body.ticket });
    expect(channel.messages[0]!.type).toBe("hello");
    const again = await tryOpen(`?ticket=${issued.body.ticket}`);
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ detail: "Invalid or expired ticket." });
  });

  it("a ticket cannot be turned into another user's", async () => {
    const alice = freshUser();
    const bob = freshUser();
    const issued = await asUser(alice, "POST", `${FEED}live/ticket/`);
    const secret = String(issued.body.ticket).split(".")[1];
    const response = await tryOpen(`?ticket=${bob}.${secret}`);
    expect(response.status).toBe(401);
    expect(response.webSocket).toBeNull();
  });

  it("a ticket needs a token to be issued", async () => {
    const response = await call("POST", `${FEED}live/ticket/`);
    expect(response.status).toBe(401);
  });
});

describe("Server-Sent Events", () => {
  it("serve the same messages, with their seq as the event id, and resume from Last-Event-ID", async () => {
    const user = freshUser();
    const stream = await openStream(user);
    open.push(stream);
    expect(stream.messages[0]).toMatchObject({ type: "hello", event: "hello" });
    await ingest(event(user, "streamed"));
    const created = await stream.next("item.created");
    expect(created).toMatchObject({ event: "item.created", eventId: "1", item: { title: "streamed" } });
    await ingest(event(user, "next"));
    await stream.next("item.created", 2);
    const resumed = await openStream(user, { "Last-Event-ID": "1" });
    open.push(resumed);
    expect(resumed.messages.slice(1).map((message) => message.item?.title)).toEqual(["next"]);
  });
});

describe("cost only for connected users", () => {
  it("a reminder fan-out notifies the connected participant and calls no other channel", async () => {
    const fastId = 700_000 + Math.floor(Math.random() * 100_000);
    const users = Array.from({ length: 6 }, () => freshUser());
    await joinedAFastBefore(...users);
    await ingest(
      users.map((user) => ({
        user_id: user,
        activity_type: "fast_join",
        data: { fast_id: fastId, fast_name: "Apostles Fast" },
      })),
    );
    const connected = users[0]!;
    const channel = await socket(connected);
    const response = await call("POST", "/api/internal/reminders/", {
      token: await staffToken(),
      body: { kind: "fast_reminder", fast_id: fastId },
    });
    expect(response.body.created_count).toBe(6);
    const created = await channel.next("item.created");
    expect(created.item).toMatchObject({ activity_type: "fast_reminder", title: "Fast Reminder: Apostles Fast" });
    for (const user of users.slice(1)) expect(await channelLogOf(user)).toBe(0);
    expect(await channelLogOf(connected)).toBe(1);
  });

  it("retention's deletes reach a connected owner as items.deleted", async () => {
    const user = freshUser();
    const old = await ingest({
      user_id: user,
      activity_type: "fast_reminder",
      occurred_at: new Date(Date.now() - 40 * 86_400_000).toISOString(),
      data: { fast_id: 3 },
    });
    const channel = await socket(user);
    const run = await call("POST", "/api/admin/cleanup/", {
      token: await staffToken(),
      body: { activity_type: "fast_reminder" },
    });
    expect(run.status).toBe(202);
    const deleted = await channel.next("items.deleted");
    expect(deleted.ids).toEqual([old.results[0]!.id]);
    expect(deleted.counts).toEqual({ unread_count: 0, unseen_count: 0, total_items: 0 });
  });
});

describe("a notification that fails", () => {
  it("never fails the write, and the client that reconnects gets a reset", async () => {
    const user = freshUser();
    const channel = await openSocket(user);
    const failing = {
      ...env,
      FEED_CHANNEL: {
        idFromName: (name: string) => env.FEED_CHANNEL.idFromName(name),
        get: () => ({
          publish: () => Promise.reject(new Error("channel unreachable")),
        }),
      },
    };
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/api/internal/events/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await staffToken()}`, "Content-Type": "application/json" },
        body: JSON.stringify(event(user, "told nobody")),
      }),
      failing as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(201);
    expect((await asUser(user, "GET", FEED)).body.count).toBe(1);
    expect(channel.messages.map((message) => message.type)).toEqual(["hello"]);
    channel.close();
    const resumed = await socket(user, { since: 0 });
    expect(resumed.messages.map((message) => message.type)).toEqual(["hello", "reset"]);
  });
});

describe("conditional polling", () => {
  it("list, summary and the badge answer 304 to their ETag until something changes", async () => {
    const user = freshUser();
    await ingest(event(user, "a"));
    const token = await tokenFor(user);
    for (const path of [`${FEED}?page_size=5`, `${FEED}summary/`, `${FEED}unread-count/`]) {
      const first = await call("GET", path, { token });
      const etag = first.headers.get("ETag");
      expect(etag, path).toMatch(/^W\/".+"$/);
      const again = await call("GET", path, { token, headers: { "If-None-Match": etag! } });
      expect(again.status, path).toBe(304);
      expect(again.body, path).toBe("");
      expect(again.headers.get("ETag"), path).toBe(etag);
    }
    const tags = await Promise.all(
      [`${FEED}?page_size=5`, `${FEED}summary/`, `${FEED}unread-count/`].map(async (path) =>
        (await call("GET", path, { token })).headers.get("ETag"),
      ),
    );
    await ingest(event(user, "b"));
    for (const [index, path] of [`${FEED}?page_size=5`, `${FEED}summary/`, `${FEED}unread-count/`].entries()) {
      const changed = await call("GET", path, { token, headers: { "If-None-Match": tags[index]! } });
      expect(changed.status, path).toBe(200);
      expect(changed.headers.get("ETag"), path).not.toBe(tags[index]);
    }
  });

  it("another page or filter has another ETag", async () => {
    const user = freshUser();
    await ingest([event(user, "a"), event(user, "b")]);
    const token = await tokenFor(user);
    const first = await call("GET", `${FEED}?page_size=1`, { token });
    const second = await call("GET", `${FEED}?page_size=1&page=2`, {
      token,
      headers: { "If-None-Match": first.headers.get("ETag")! },
    });
    expect(second.status).toBe(200);
  });
});
