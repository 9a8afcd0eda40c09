import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { d1Sessions, parseBookmarks, readAtLeast, sessionAwareD1 } from "../src/shards/d1-sessions";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { FEED } from "./support/feed";
import { call, freshUser, ingest, tokenFor } from "./support/http";

/**
 * Reads through D1's Sessions API: every request answers the bookmarks of
 * the shards it used in X-D1-Bookmark, and a request that sends them back
 * starts each shard's session at least that fresh. Local D1 has one copy,
 * so what is checked is the code path: which session each query ran in.
 */

const asUserWith = async (user: number, method: string, path: string, bookmark?: string, body?: unknown) =>
  call(method, path, { token: await tokenFor(user), body, headers: bookmark ? { "X-D1-Bookmark": bookmark } : {} });

const BOOKMARK = /^(\d+):([0-9a-f]+(?:-[0-9a-f]+)*)$/;

describe("X-D1-Bookmark through the API", () => {
  it("a read answers the bookmark of the user's shard", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "milestone", title: "m" });
    const page = await asUserWith(user, "GET", FEED);
    expect(page.status).toBe(200);
    const [, shard] = page.headers.get("X-D1-Bookmark")!.match(BOOKMARK)!;
    expect(Number(shard)).toBe(shardIndexForUser(user, 4));
  });

  it("a client that sends back a write's bookmark reads that write, and gets a bookmark no older", async () => {
    const user = freshUser();
    const created = await ingest({ user_id: user, activity_type: "milestone", title: "m" });
    const marked = await asUserWith(user, "POST", `${FEED}mark-read/`, undefined, {
      activity_ids: [created.results[0]!.id],
    });
    const afterWrite = marked.headers.get("X-D1-Bookmark")!;
    expect(afterWrite).toMatch(BOOKMARK);
    const page = await asUserWith(user, "GET", FEED, afterWrite);
    expect(page.body.results[0].is_read).toBe(true);
    const [, , written] = afterWrite.match(BOOKMARK)!;
    const [, , read] = page.headers.get("X-D1-Bookmark")!.match(BOOKMARK)!;
    expect(read! >= written!).toBe(true);
  });

  it("a malformed bookmark is ignored; a shard the request did not touch keeps the one sent", async () => {
    const user = freshUser();
    const home = shardIndexForUser(user, 4);
    const other = (home + 1) % 4;
    const garbage = await asUserWith(user, "GET", FEED, "not a bookmark, 3:'; DROP TABLE");
    expect(garbage.status).toBe(200);
    expect(garbage.headers.get("X-D1-Bookmark")).toMatch(BOOKMARK);
    const kept = await asUserWith(user, "GET", FEED, `${other}:00000001-00000002`);
    const parts = parseBookmarks(kept.headers.get("X-D1-Bookmark"));
    expect(parts.get(other)).toBe("00000001-00000002");
    expect(parts.has(home)).toBe(true);
  });

  it("browsers may send it and read it (CORS)", async () => {
    const preflight = await call("OPTIONS", FEED, {
      headers: {
        Origin: "https://app.example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-d1-bookmark",
      },
    });
    expect(preflight.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-d1-bookmark");
    const page = await call("GET", FEED, {
      token: await tokenFor(freshUser()),
      headers: { Origin: "https://app.example.org" },
    });
    expect(page.headers.get("Access-Control-Expose-Headers")?.toLowerCase()).toContain("x-d1-bookmark");
  });
});

describe("which session a query runs in", () => {
  /** SHARD_0, recording the constraint of every session started on it. */
  function watchedShard() {
    const started: unknown[] = [];
    const binding = env.SHARD_0!;
    const watched = new Proxy(binding, {
      get(target, property) {
        if (property === "withSession")
          return (constraint?: string) => {
            started.push(constraint);
            return target.withSession(constraint);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { d1: sessionAwareD1(watched, 0), started };
  }

  /** A Worker of one route behind the sessions middleware, running `work` on the watched shard. */
  function appRunning(work: (d1: D1Database) => Promise<void>) {
    const app = new Hono();
    app.use("*", d1Sessions);
    app.get("/", async (c) => {
      await work(shard.d1);
      return c.text("ok");
    });
    const shard = watchedShard();
    return { app, started: shard.started };
  }

  const twoQueries = async (d1: D1Database) => {
    await d1.prepare("SELECT 1").run();
    await d1.batch([d1.prepare("SELECT 2"), d1.prepare("SELECT 3")]);
  };

  it("a request's queries share one session per shard, from the bookmark sent or any replica", async () => {
    const { app, started } = appRunning(twoQueries);
    await app.request("/");
    await app.request("/", { headers: { "X-D1-Bookmark": "0:00000001-00000002" } });
    expect(started).toEqual(["first-unconstrained", "00000001-00000002"]);
  });

  it("a moved user's new shard is read no older than the move's bookmark", async () => {
    const { app, started } = appRunning(async (d1) => {
      readAtLeast(0, "00000005-00000001");
      await twoQueries(d1);
    });
    await app.request("/", { headers: { "X-D1-Bookmark": "0:00000001-00000002" } });
    await app.request("/", { headers: { "X-D1-Bookmark": "0:00000009-00000002" } });
    // The later of the two wins.
    expect(started).toEqual(["00000005-00000001", "00000009-00000002"]);
  });

  it("outside a request (queue consumer, cron) queries go to the binding, in no session", async () => {
    const shard = watchedShard();
    await twoQueries(shard.d1);
    expect(shard.started).toEqual([]);
  });

  it("the header's parts are shard:bookmark pairs; anything else is dropped", () => {
    expect([...parseBookmarks("0:0000a-01, 3:ff ,x:1,2:zz,5:,1025:01,7:1:2")]).toEqual([
      [0, "0000a-01"],
      [3, "ff"],
    ]);
  });
});
