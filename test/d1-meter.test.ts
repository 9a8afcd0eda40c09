import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { cachedUnread } from "./support/db";
import { BASE, call, freshUser, ingest, tokenFor } from "./support/http";
import { deliver } from "./support/queues";

const FEED = "/api/events/activity-feed/";
const meteredEnv = { ...env, D1_METER: "true" };

/** A request to the Worker's fetch handler with the bench's meter on. */
async function metered(path: string, { token, body }: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    meteredEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const usage = (prefix: string) => ({
    queries: Number(response.headers.get(`${prefix}-Queries`)),
    roundTrips: Number(response.headers.get(`${prefix}-Round-Trips`)),
    rowsRead: Number(response.headers.get(`${prefix}-Rows-Read`)),
    rowsWritten: Number(response.headers.get(`${prefix}-Rows-Written`)),
    unmetered: Number(response.headers.get(`${prefix}-Unmetered`)),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies field by field
  const json: any = await response.json();
  return {
    status: response.status,
    body: json,
    d1: usage("X-D1"),
    background: usage("X-D1-Background"),
  };
}

async function userWithItems(count: number): Promise<number> {
  const user = freshUser();
  await ingest(
    Array.from({ length: count }, (_, index) => ({
      user_id: user,
      activity_type: index % 2 ? "fast_join" : "milestone",
      occurred_at: new Date(Date.UTC(2024, 6, 1, 0, index)).toISOString(),
    })),
  );
  return user;
}

describe("D1 meter (D1_METER, the benchmark's)", () => {
  it("is off unless D1_METER is true: responses carry no meter headers (only the Sessions bookmark)", async () => {
    const user = await userWithItems(3);
    const response = await call("GET", FEED, { token: await tokenFor(user) });
    expect(response.status).toBe(200);
    expect([...response.headers.keys()].filter((name) => name.startsWith("x-d1"))).toEqual(["x-d1-bookmark"]);
  });

  it("reports the rows a feed page reads, in one round trip, and the rows mark-read writes", async () => {
    const user = await userWithItems(30);
    const token = await tokenFor(user);

    const page = await metered(`${FEED}?page_size=10`, { token });
    expect(page.status).toBe(200);
    expect(page.body.results).toHaveLength(10);
    expect(page.d1.roundTrips).toBe(1);
    expect(page.d1.rowsRead).toBeGreaterThanOrEqual(10);
    expect(page.d1.rowsRead).toBeLessThan(30);
    expect(page.d1.rowsWritten).toBe(0);
    expect(page.d1.unmetered).toBe(0);

    const marked = await metered(`${FEED}mark-read/`, { token, body: { mark_all: true } });
    expect(marked.body.updated_count).toBe(30);
    expect(marked.d1.rowsWritten).toBeGreaterThanOrEqual(30);
  });

  it("keeps the counts of concurrent requests apart", async () => {
    const user = await userWithItems(40);
    const token = await tokenFor(user);
    const [wide, narrow] = await Promise.all([
      metered(`${FEED}?page_size=30`, { token }),
      metered(`${FEED}?page_size=3`, { token }),
    ]);
    const alone = await metered(`${FEED}?page_size=3`, { token });
    expect(wide.d1.rowsRead).toBeGreaterThanOrEqual(30);
    expect(narrow.d1).toEqual(alone.d1);
  });

  it("meters statements drizzle reads with raw() (the badge's miss) without changing what they return", async () => {
    const user = await userWithItems(4);
    const token = await tokenFor(user);
    expect(await cachedUnread(user)).toBe(4); // ingestion filled the cache
    await env.UNREAD_CACHE.delete(`unread:${user}`);
    expect(await cachedUnread(user)).toBeNull();

    const miss = await metered(`${FEED}unread-count/`, { token });
    expect(miss.body).toEqual((await call("GET", `${FEED}unread-count/`, { token })).body);
    expect(miss.body.unread_count).toBe(4);
    expect(miss.d1.roundTrips).toBe(1);
    expect(miss.d1.rowsRead).toBeGreaterThan(0);

    const hit = await metered(`${FEED}unread-count/`, { token });
    expect(hit.d1.roundTrips).toBe(0);
  });

  it("gives metered and unmetered requests the same bodies", async () => {
    const user = await userWithItems(12);
    const token = await tokenFor(user);
    for (const path of [`${FEED}?page_size=5`, `${FEED}?pagination=cursor&page_size=5`, `${FEED}summary/`]) {
      const plain = await call("GET", path, { token });
      expect((await metered(path, { token })).body).toEqual(plain.body);
    }
  });

  it("counts D1 work outside requests (the queue consumer) as background", async () => {
    const before = (await metered("/health")).background;
    const user = freshUser();
    const result = await deliver(
      [{ v: 1, kind: "create_item", event: { user_id: user, activity_type: "fast_join", data: { fast_id: 3 } } }],
      { on: meteredEnv },
    );
    expect(result.explicitAcks).toHaveLength(1);
    const after = (await metered("/health")).background;
    expect(after.roundTrips).toBeGreaterThan(before.roundTrips);
    expect(after.rowsWritten).toBeGreaterThan(before.rowsWritten);
  });
});
