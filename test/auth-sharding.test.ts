import { env } from "cloudflare:test";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { cachedUnread, SHARD_COUNT } from "./support/db";
import { asUser, call, freshUser, ingest, TEST_JWT_SECRET, tokenFor } from "./support/http";
import {
  decodeItemId,
  freshUserOnShard,
  shardDb,
  shardIndexOf,
  storedEventCount,
  storedItems,
} from "./support/shard-rows";

const FEED = "/api/events/activity-feed/";
const now = () => Math.floor(Date.now() / 1000);

describe("authentication", () => {
  const userEndpoints: [string, string, unknown?][] = [
    ["GET", FEED],
    ["GET", `${FEED}summary/`],
    ["GET", `${FEED}unread-count/`],
    ["POST", `${FEED}mark-read/`, { mark_all: true }],
  ];

  it.each(userEndpoints)("%s %s without a token is 401", async (method, path, body) => {
    const response = await call(method, path, { body });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ detail: "Authentication credentials were not provided." });
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
  });

  it.each([
    ["a Basic scheme", "Basic dXNlcjpwYXNz"],
    ["Bearer without a token", "Bearer"],
    ["Bearer with two tokens", "Bearer abc def"],
    ["a token without a scheme", "eyJhbGciOiJIUzI1NiJ9.e30.sig"],
  ])("a malformed Authorization header (%s) is 401", async (_name, header) => {
    const response = await call("GET", FEED, { headers: { Authorization: header } });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ detail: expect.any(String) });
  });

  async function expectRejected(token: string) {
    const response = await call("GET", FEED, { token });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ detail: expect.any(String) });
    const badge = await call("GET", `${FEED}unread-count/`, { token });
    expect(badge.status).toBe(401);
  }

  it("a token that is not a JWT is 401", async () => {
    await expectRejected("not-a-jwt");
    await expectRejected("a.b.c");
  });

  it("a token signed with another secret is 401", async () => {
    await expectRejected(await sign({ sub: freshUser(), exp: now() + 3600 }, "another-secret-of-16-chars", "HS256"));
  });

  it("a token whose payload was altered is 401", async () => {
    const [header, , signature] = (await tokenFor(freshUser())).split(".");
    const forged = btoa(JSON.stringify({ sub: 1, exp: now() + 3600, is_staff: true }))
      .replaceAll("=", "")
      .replaceAll("+", "-")
      .replaceAll("/", "_");
    await expectRejected(`${header}.${forged}.${signature}`);
  });

  it("a token signed with another algorithm is 401", async () => {
    await expectRejected(await sign({ sub: freshUser(), exp: now() + 3600 }, TEST_JWT_SECRET, "HS512"));
  });

  it("an expired token is 401 Token has expired.", async () => {
    const token = await tokenFor(freshUser(), { iat: now() - 7200, exp: now() - 60 });
    await expectRejected(token);
    expect((await call("GET", FEED, { token })).body).toEqual({ detail: "Token has expired." });
  });

  it("an expired token with a bad signature is not called expired", async () => {
    const token = await sign({ sub: freshUser(), exp: now() - 60 }, "another-secret-of-16-chars", "HS256");
    await expectRejected(token);
    expect((await call("GET", FEED, { token })).body.detail).not.toBe("Token has expired.");
  });

  it("a token whose exp is not a number is 401", async () => {
    await expectRejected(
      await sign({ sub: freshUser(), exp: "tomorrow" as unknown as number }, TEST_JWT_SECRET, "HS256"),
    );
  });

  it("a token not valid yet is 401", async () => {
    await expectRejected(await tokenFor(freshUser(), { nbf: now() + 600 }));
  });

  it.each([
    ["zero", 0],
    ["negative", -5],
    ["a fraction", 1.5],
    ["a word", "alice"],
    ["a string with a sign", "-5"],
    ["an empty string", ""],
    ["a boolean", true],
    ["null", null],
    ["beyond 2^53", 2 ** 60],
  ])("sub that is %s is 401", async (_name, sub) => {
    await expectRejected(await sign({ sub, iat: now(), exp: now() + 3600 }, TEST_JWT_SECRET, "HS256"));
  });

  it("a token without sub is 401", async () => {
    await expectRejected(await sign({ iat: now(), exp: now() + 3600 }, TEST_JWT_SECRET, "HS256"));
  });

  it("sub given as a digit string acts as that user", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join" });
    const response = await call("GET", FEED, { token: await tokenFor(String(user)) });
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(1);
  });

  it("a non-staff token on POST /api/internal/events/ is 403 and writes nothing", async () => {
    const user = freshUser();
    const response = await call("POST", "/api/internal/events/", {
      token: await tokenFor(user),
      body: { user_id: user, activity_type: "fast_join" },
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ detail: "You do not have permission to perform this action." });
    expect(await storedItems(user)).toEqual([]);
    expect(await storedEventCount(user)).toBe(0);
    expect(await cachedUnread(user)).toBeNull();
  });

  it("is_staff must be the boolean true", async () => {
    const user = freshUser();
    const token = await tokenFor(user, { is_staff: "true" });
    const response = await call("POST", "/api/internal/events/", {
      token,
      body: { user_id: user, activity_type: "fast_join" },
    });
    expect(response.status).toBe(403);
    expect(await storedItems(user)).toEqual([]);
  });

  it("POST /api/internal/events/ without a token is 401", async () => {
    const user = freshUser();
    const response = await call("POST", "/api/internal/events/", {
      body: { user_id: user, activity_type: "fast_join" },
    });
    expect(response.status).toBe(401);
    expect(await storedItems(user)).toEqual([]);
  });
});

describe("sharding", () => {
  it("two users on different shards never see each other's items", async () => {
    const alice = freshUserOnShard(0);
    const bob = freshUserOnShard(SHARD_COUNT - 1);
    const created = await ingest([
      { user_id: alice, activity_type: "fast_join", title: "alice 1" },
      { user_id: bob, activity_type: "fast_join", title: "bob 1" },
      { user_id: alice, activity_type: "milestone", title: "alice 2" },
    ]);
    const aliceIds = created.results.filter((r) => r.user_id === alice).map((r) => r.id);
    const bobIds = created.results.filter((r) => r.user_id === bob).map((r) => r.id);

    const aliceFeed = await asUser(alice, "GET", FEED);
    expect(aliceFeed.body.count).toBe(2);
    expect(aliceFeed.body.results.map((item: { id: number }) => item.id).sort()).toEqual([...aliceIds].sort());
    expect(aliceFeed.body.results.every((item: { title: string }) => item.title.startsWith("alice"))).toBe(true);

    const bobFeed = await asUser(bob, "GET", FEED);
    expect(bobFeed.body.results.map((item: { id: number }) => item.id)).toEqual(bobIds);

    const aliceSummary = await asUser(alice, "GET", `${FEED}summary/`);
    expect(aliceSummary.body.total_items).toBe(2);
    expect(aliceSummary.body.recent_activity.map((item: { id: number }) => item.id).sort()).toEqual(
      [...aliceIds].sort(),
    );
    expect((await asUser(bob, "GET", `${FEED}unread-count/`)).body.unread_count).toBe(1);

    // Bob marking Alice's ids changes nothing of hers.
    const marked = await asUser(bob, "POST", `${FEED}mark-read/`, { activity_ids: aliceIds });
    expect(marked.body.updated_count).toBe(0);
    expect((await asUser(alice, "GET", `${FEED}?is_read=false`)).body.count).toBe(2);
  });

  it("users on the same shard never see each other's items either", async () => {
    const alice = freshUser();
    const carol = freshUserOnShard(shardIndexOf(alice));
    await ingest([
      { user_id: alice, activity_type: "fast_join" },
      { user_id: carol, activity_type: "fast_leave" },
      { user_id: carol, activity_type: "fast_leave" },
    ]);
    const aliceFeed = await asUser(alice, "GET", FEED);
    expect(aliceFeed.body.count).toBe(1);
    expect(aliceFeed.body.results[0].activity_type).toBe("fast_join");
    expect((await asUser(carol, "GET", FEED)).body.count).toBe(2);
  });

  it("an item id decodes to the shard that holds the row", async () => {
    const users = Array.from({ length: SHARD_COUNT }, (_, index) => freshUserOnShard(index));
    const created = await ingest(
      users.map((user) => ({ user_id: user, activity_type: "fast_start", title: `for ${user}` })),
    );
    expect(created.created_count).toBe(SHARD_COUNT);
    for (const result of created.results) {
      const { shardIndex, localId } = decodeItemId(result.id);
      expect(shardIndex).toBe(shardIndexForUser(result.user_id, SHARD_COUNT));
      const row = await shardDb(shardIndex)
        .prepare("SELECT user_id, title FROM feed_items WHERE id = ?1")
        .bind(localId)
        .first<{ user_id: number; title: string }>();
      expect(row).toEqual({ user_id: result.user_id, title: `for ${result.user_id}` });
      // No other shard holds this user's row.
      for (let other = 0; other < SHARD_COUNT; other++) {
        if (other === shardIndex) continue;
        const stray = await shardDb(other)
          .prepare("SELECT count(*) AS n FROM feed_items WHERE user_id = ?1")
          .bind(result.user_id)
          .first<{ n: number }>();
        expect(stray?.n).toBe(0);
      }
    }
    // The ids the list shows are the same ones.
    for (const user of users) {
      const listed = await asUser(user, "GET", FEED);
      expect(listed.body.results[0].id % 1024).toBe(shardIndexOf(user));
    }
  });

  it("the jump hash spreads 10,000 sequential ids evenly over 4 shards (±10%)", () => {
    const perShard = [0, 0, 0, 0];
    for (let userId = 1; userId <= 10_000; userId++) perShard[shardIndexForUser(userId, 4)]! += 1;
    for (const count of perShard) {
      expect(count).toBeGreaterThanOrEqual(2_250);
      expect(count).toBeLessThanOrEqual(2_750);
    }
  });

  it("growing from 4 to 5 shards moves about a fifth of users, all to the new shard", () => {
    let moved = 0;
    for (let userId = 1; userId <= 10_000; userId++) {
      const before = shardIndexForUser(userId, 4);
      const after = shardIndexForUser(userId, 5);
      if (before !== after) {
        moved += 1;
        expect(after).toBe(4);
      }
    }
    expect(moved / 10_000).toBeGreaterThan(0.18);
    expect(moved / 10_000).toBeLessThan(0.22);
  });
});

describe("CORS", () => {
  const ALLOWED = "https://app.example.org";

  it("the tests run with CORS_ALLOWED_ORIGINS set to the app's origin only", () => {
    // vitest.config.ts sets this binding; it wins over a local .dev.vars ("*").
    // If this fails, the assertions below about other origins mean nothing.
    expect(env.CORS_ALLOWED_ORIGINS).toBe(ALLOWED);
  });

  it("a preflight from an allowed origin is answered without a token", async () => {
    const response = await call("OPTIONS", FEED, {
      headers: {
        Origin: ALLOWED,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    const methods = (response.headers.get("Access-Control-Allow-Methods") ?? "").split(",").map((m) => m.trim());
    expect(methods).toEqual(expect.arrayContaining(["GET", "POST"]));
    const headers = (response.headers.get("Access-Control-Allow-Headers") ?? "")
      .toLowerCase()
      .split(",")
      .map((h) => h.trim());
    expect(headers).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(response.headers.get("Vary") ?? "").toMatch(/origin/i);
  });

  it("a preflight from another origin gets no Access-Control-Allow-Origin", async () => {
    const response = await call("OPTIONS", FEED, {
      headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "GET" },
    });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("an actual request from the allowed origin may read the X-Cache header", async () => {
    const response = await call("GET", `${FEED}unread-count/`, {
      token: await tokenFor(freshUser()),
      headers: { Origin: ALLOWED },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    expect((response.headers.get("Access-Control-Expose-Headers") ?? "").toLowerCase()).toContain("x-cache");
  });

  it("an error answer still carries CORS headers, so the browser can read the 401", async () => {
    const response = await call("GET", FEED, { headers: { Origin: ALLOWED } });
    expect(response.status).toBe(401);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
  });

  it("staff-only endpoints answer preflights too", async () => {
    const response = await call("OPTIONS", "/api/internal/events/", {
      headers: { Origin: ALLOWED, "Access-Control-Request-Method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
  });
});
