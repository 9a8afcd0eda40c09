import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createStaffClient, FeedApiError, type FeedItem, type LiveConnection, type LiveSocket } from "../src/client";
import { clientFor, openWorkerSocket } from "./support/client";
import { asUser, BASE, freshUser, ingest, tokenFor } from "./support/http";
import { openSocket, waitFor } from "./support/live";

/** The typed client (src/client) against the real Worker: every call goes through SELF.fetch. */

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const event = (user: number, n: number, extra: Record<string, unknown> = {}) => ({
  user_id: user,
  // Not fast_join: a user's first one adds a milestone item.
  activity_type: n % 2 === 0 ? "fast_start" : "fast_reminder",
  event_id: `client-${user}-${n}`,
  occurred_at: at(100 - n),
  data: { fast_id: 3, fast_name: `Fast ${n}` },
  ...extra,
});

const connections: LiveConnection[] = [];
afterEach(() => {
  for (const connection of connections.splice(0)) connection.close();
});

describe("reading the feed", () => {
  it("list passes typed filters as the API's query and answers its page", async () => {
    const user = freshUser();
    await ingest(Array.from({ length: 6 }, (_, n) => event(user, n)));
    const client = await clientFor(user);
    const page = await client.list({ activity_type: ["fast_start"], is_read: false, page_size: 2 });
    expect(page.count).toBe(3);
    expect(page.results.map((item) => item.activity_type)).toEqual(["fast_start", "fast_start"]);
    expect(page.next).toContain("activity_type=fast_start");
  });

  it("pages walks every item once, newest first, by cursor", async () => {
    const user = freshUser();
    await ingest(Array.from({ length: 23 }, (_, n) => event(user, n)));
    const client = await clientFor(user);
    const seen: number[] = [];
    let pages = 0;
    for await (const page of client.pages({ page_size: 5 })) {
      pages += 1;
      seen.push(...page.results.map((item) => item.id));
    }
    const all = (await client.list({ page_size: 100 })).results.map((item) => item.id);
    expect(pages).toBe(5);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(23);
  });

  it("summary and preferences read and write the caller's own", async () => {
    const user = freshUser();
    await ingest([event(user, 1), event(user, 2)]);
    const client = await clientFor(user);
    expect(await client.summary()).toMatchObject({ total_items: 2, unread_count: 2, unseen_count: 2 });
    expect(await client.preferences.set({ muted_types: ["fast_reminder"] })).toEqual({
      muted_types: ["fast_reminder"],
    });
    expect(await client.preferences.get()).toEqual({ muted_types: ["fast_reminder"] });
  });

  it("unreadCount sends back the badge's ETag, answers the last value on 304, and sees a change", async () => {
    const user = freshUser();
    await ingest([event(user, 1), event(user, 2)]);
    const statuses: number[] = [];
    const client = await clientFor(user, {
      fetch: async (input, init) => {
        const response = await SELF.fetch(input, init);
        if (String(input).includes("unread-count")) statuses.push(response.status);
        return response;
      },
    });
    expect(await client.unreadCount()).toEqual({ unread_count: 2, unseen_count: 2 });
    expect(await client.unreadCount()).toEqual({ unread_count: 2, unseen_count: 2 });
    expect(statuses).toEqual([200, 304]);
    const [newest] = (await client.list()).results;
    await client.markRead([newest!.id]);
    expect(await client.unreadCount()).toEqual({ unread_count: 1, unseen_count: 1 });
    expect(statuses).toEqual([200, 304, 200]);
  });
});

describe("changing items", () => {
  it("markRead, markUnread, markSeen, archive and unarchive take ids and answer what changed", async () => {
    const user = freshUser();
    await ingest([event(user, 1), event(user, 2), event(user, 3)]);
    const client = await clientFor(user);
    const ids = (await client.list()).results.map((item) => item.id);
    expect(await client.markRead([ids[0]!, ids[1]!])).toEqual({ message: "Marked 2 items as read", updated_count: 2 });
    expect((await client.markUnread([ids[0]!])).updated_count).toBe(1);
    expect((await client.markSeen([ids[2]!])).updated_count).toBe(1);
    expect((await client.archive([ids[1]!])).updated_count).toBe(1);
    expect((await client.list({ archived: "only" })).results.map((item) => item.id)).toEqual([ids[1]]);
    expect((await client.unarchive([ids[1]!])).updated_count).toBe(1);
    expect(await client.summary()).toMatchObject({ total_items: 3, unread_count: 2, unseen_count: 0 });
  });

  it("{ all: true, before } leaves an item that arrived after the inbox was loaded", async () => {
    const user = freshUser();
    await ingest([event(user, 1, { occurred_at: at(30) }), event(user, 2, { occurred_at: at(20) })]);
    const loadedAt = new Date(Date.now() - 10 * 60_000);
    await ingest(event(user, 3, { occurred_at: at(5) }));
    const client = await clientFor(user);
    expect((await client.markRead({ all: true, before: loadedAt })).updated_count).toBe(2);
    const unread = (await client.list({ is_read: false })).results;
    expect(unread.map((item) => item.data.fast_name)).toEqual(["Fast 3"]);
  });

  it("{ all: true, activityTypes } archives only those types", async () => {
    const user = freshUser();
    await ingest([event(user, 1), event(user, 2), event(user, 3)]);
    const client = await clientFor(user);
    expect((await client.archive({ all: true, activityTypes: ["fast_reminder"] })).updated_count).toBe(2);
    expect((await client.list()).results.map((item) => item.activity_type)).toEqual(["fast_start"]);
  });
});

describe("errors", () => {
  it("a 400 is a FeedApiError with the status and the API's messages per field", async () => {
    const client = await clientFor(freshUser());
    const error = await client.list({ page_size: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FeedApiError);
    expect(error).toMatchObject({
      status: 400,
      fieldErrors: { page_size: ["Ensure this value is greater than or equal to 1."] },
      message: "HTTP 400: page_size: Ensure this value is greater than or equal to 1.",
    });
  });

  it("a refusal carries its detail: a page that does not exist, a bad token", async () => {
    const client = await clientFor(freshUser());
    await expect(client.list({ page: "9" })).rejects.toMatchObject({ status: 404, detail: "Invalid page." });
    const stranger = await clientFor(freshUser(), { token: "not-a-token" });
    const refused = (await stranger.summary().catch((caught: unknown) => caught)) as FeedApiError;
    expect(refused.status).toBe(401);
    expect(refused.detail).toMatch(/^Given token not valid/);
    expect(refused.fieldErrors).toBeUndefined();
  });

  it("an unreachable service is status 0, naming the URL", async () => {
    const client = await clientFor(freshUser(), {
      fetch: () => Promise.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })),
    });
    await expect(client.summary()).rejects.toMatchObject({
      status: 0,
      message: `cannot reach ${BASE} (ECONNREFUSED)`,
    });
  });

  it("getToken is asked before every request", async () => {
    const user = freshUser();
    const good = await tokenFor(user);
    let asked = 0;
    const client = await clientFor(user, {
      token: undefined,
      getToken: async () => {
        asked += 1;
        return good;
      },
    });
    await client.summary();
    await client.unreadCount();
    expect(asked).toBe(2);
  });
});

describe("staff", () => {
  it("health answers the Worker's liveness and shard count without a token", async () => {
    const staff = createStaffClient({ baseUrl: BASE, fetch: (input, init) => SELF.fetch(input, init) });
    expect(await staff.health()).toEqual({ status: "ok", shards: expect.any(Number) });
  });
});

describe("live", () => {
  it("a new item, a change and the counts reach their handlers", async () => {
    const user = freshUser();
    await ingest(event(user, 1));
    const client = await clientFor(user);
    const items: FeedItem[] = [];
    const updates: unknown[] = [];
    const counts: unknown[] = [];
    const connection = client.live({
      onItem: (item) => items.push(item),
      onUpdate: (message) => updates.push(message),
      onCounts: (value) => counts.push(value),
    });
    connections.push(connection);
    await waitFor(() => (connection.status === "open" ? true : undefined), "the channel to open");
    expect(counts[0]).toEqual({ unread_count: 1, unseen_count: 1, total_items: 1 });
    await ingest(event(user, 2, { title: "Live one" }));
    const created = await waitFor(() => items[0], "item.created");
    expect(created).toEqual((await client.list()).results[0]);
    await client.markRead({ all: true });
    await waitFor(() => updates[0], "items.updated");
    expect(updates[0]).toMatchObject({ type: "items.updated", all: true, changes: { is_read: true, is_seen: true } });
    expect(counts.at(-1)).toEqual({ unread_count: 0, unseen_count: 0, total_items: 2 });
    expect(connection.seq).toBe(2);
  });

  it("reconnects after the socket drops and resumes with since: nothing is missed", async () => {
    const user = freshUser();
    // A second connection keeps the channel told while ours is down, so the change is logged for resuming.
    const other = await openSocket(user);
    const urls: string[] = [];
    const sockets: LiveSocket[] = [];
    let refuse = false;
    const client = await clientFor(user, {
      openSocket: async (url) => {
        urls.push(url);
        if (refuse) throw new Error("network down");
        const socket = await openWorkerSocket(url);
        sockets.push(socket);
        return socket;
      },
    });
    const titles: string[] = [];
    let resets = 0;
    const connection = client.live({
      onItem: (item) => titles.push(item.title),
      onReset: () => resets++,
      backoff: { initialMs: 10, maxMs: 20 },
    });
    connections.push(connection);
    await waitFor(() => (connection.status === "open" ? true : undefined), "the channel to open");
    await ingest(event(user, 1, { title: "Before the drop" }));
    await waitFor(() => (titles.length === 1 ? true : undefined), "the first item");
    refuse = true;
    sockets[0]!.close(1000, "drop");
    await waitFor(() => (urls.length >= 3 ? true : undefined), "a failed reconnect");
    await ingest(event(user, 2, { title: "While down" }));
    refuse = false;
    await waitFor(() => (titles.length === 2 ? true : undefined), "the missed item");
    expect(titles).toEqual(["Before the drop", "While down"]);
    expect(resets).toBe(0);
    expect(urls.at(-1)).toMatch(/[?&]since=1$/);
    other.close();
  });

  it("a change made while nobody was connected arrives as a reset on reconnect", async () => {
    const user = freshUser();
    const sockets: LiveSocket[] = [];
    let refuse = false;
    const client = await clientFor(user, {
      openSocket: async (url) => {
        if (refuse) throw new Error("network down");
        const socket = await openWorkerSocket(url);
        sockets.push(socket);
        return socket;
      },
    });
    let resets = 0;
    const connection = client.live({ onReset: () => resets++, backoff: { initialMs: 200, maxMs: 200 } });
    connections.push(connection);
    await waitFor(() => (connection.status === "open" ? true : undefined), "the channel to open");
    refuse = true;
    sockets[0]!.close(1000, "drop");
    await waitFor(() => (connection.status === "connecting" ? true : undefined), "the drop");
    await new Promise((resolve) => setTimeout(resolve, 100)); // the channel marks the user absent
    await ingest(event(user, 1));
    refuse = false;
    await waitFor(() => (resets > 0 ? true : undefined), "a reset");
    expect(connection.status).toBe("open");
  });

  it("falls back to polling the badge while sockets fail, and tells of a change", async () => {
    const user = freshUser();
    const client = await clientFor(user, {
      openSocket: () => Promise.reject(new Error("WebSockets are blocked here")),
    });
    const counts: unknown[] = [];
    let resets = 0;
    const statuses: string[] = [];
    const connection = client.live({
      onCounts: (value) => counts.push(value),
      onReset: () => resets++,
      onStatus: (status) => statuses.push(status),
      backoff: { initialMs: 5, maxMs: 5_000 },
      failuresBeforePolling: 2,
      pollIntervalMs: 50,
    });
    connections.push(connection);
    await waitFor(() => (counts.length > 0 ? true : undefined), "a poll");
    expect(connection.status).toBe("polling");
    expect(counts[0]).toEqual({ unread_count: 0, unseen_count: 0 });
    await ingest(event(user, 1));
    await waitFor(() => (resets > 0 ? true : undefined), "the change to be noticed");
    expect(counts.at(-1)).toEqual({ unread_count: 1, unseen_count: 1 });
    expect(statuses).toEqual(["polling"]);
  });

  it("a ticket the API refuses is reported and retried, never thrown", async () => {
    const client = await clientFor(freshUser(), { token: "expired" });
    const errors: unknown[] = [];
    const connection = client.live({ onError: (error) => errors.push(error), backoff: { initialMs: 5 } });
    connections.push(connection);
    await waitFor(() => (errors.length >= 2 ? true : undefined), "two refusals");
    expect(errors[0]).toMatchObject({ status: 401 });
    connection.close();
    expect(connection.status).toBe("closed");
  });
});

it("asUser and the client agree on the answer's shape", async () => {
  const user = freshUser();
  await ingest(event(user, 1));
  expect((await (await clientFor(user)).list()).results).toEqual(
    (await asUser(user, "GET", "/api/events/activity-feed/")).body.results,
  );
});
