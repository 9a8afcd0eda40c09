import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { cachedUnread, joinedAFastBefore, recount } from "./support/db";
import { BASE, freshUser, ingest, tokenFor } from "./support/http";

/**
 * The real KV namespace, except that the first write to each key is refused,
 * as KV refuses a second write to one key within a second.
 */
function kvRefusingFirstWrites(kv: KVNamespace): { kv: KVNamespace; refused: string[] } {
  const refused: string[] = [];
  const wrapped = new Proxy(kv, {
    get(target, property) {
      if (property === "put") {
        return async (key: string, ...rest: unknown[]) => {
          if (!refused.includes(key)) {
            refused.push(key);
            throw new Error("KV PUT failed: 429 Too Many Requests");
          }
          return (target.put as (...args: unknown[]) => Promise<void>)(key, ...rest);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: wrapped, refused };
}

describe("unread cache under KV's one-write-per-second limit", () => {
  it("a refused cache write is retried with the fresh count and the request still succeeds", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
    const created = await ingest([
      { user_id: user, activity_type: "fast_join", data: { fast_id: 1 } },
      { user_id: user, activity_type: "milestone", data: { fast_id: 1 } },
    ]);
    expect(await cachedUnread(user)).toBe(2);

    const { kv, refused } = kvRefusingFirstWrites(env.UNREAD_CACHE);
    const response = await worker.fetch(
      new Request(`${BASE}/api/events/activity-feed/mark-read/`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await tokenFor(user)}`, "Content-Type": "application/json" },
        body: JSON.stringify({ activity_ids: [created.results[0]!.id] }),
      }),
      { ...env, UNREAD_CACHE: kv },
      createExecutionContext(),
    );
    expect(response.status).toBe(200);
    expect(refused).toEqual([`unread:${user}`]);
    expect(await cachedUnread(user)).toBe(1);
    expect((await recount(user)).unread).toBe(1);
  });
});
