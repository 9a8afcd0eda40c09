import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { call, freshUser, ingest } from "./support/http";

/** The routing row as a reshard leaves it (migrations/0007). */
async function storeRouting(shardCount: number | null) {
  if (shardCount === null) await env.SHARD_0!.prepare("DELETE FROM deployment_routing").run();
  else
    await env
      .SHARD_0!.prepare(
        `INSERT INTO deployment_routing (id, shard_count, changed_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET shard_count = ?1, target_count = NULL, job_id = NULL`,
      )
      .bind(shardCount, Date.now())
      .run();
}

/** Long enough for every isolate's cached routing to expire (ROUTING_CACHE_SECONDS is 1 in tests). */
const routingCacheExpires = () => new Promise((resolve) => setTimeout(resolve, 1_100));

describe("the deployment's routing is data", () => {
  afterEach(() => storeRouting(null));

  it("without a stored routing, health answers SHARD_COUNT", async () => {
    const response = await call("GET", "/health");
    expect(response.body).toEqual({ status: "ok", shards: Number(env.SHARD_COUNT) });
  });

  it("health and every route follow the stored shard count once the cached view expires", async () => {
    await call("GET", "/health");
    await storeRouting(6);
    await routingCacheExpires();
    expect((await call("GET", "/health")).body).toEqual({ status: "ok", shards: 6 });

    let user = freshUser();
    while (shardIndexForUser(user, 6) < 4) user += 1;
    await ingest({ user_id: user, activity_type: "milestone", data: { fast_id: 1 } });
    const stored = await env[`SHARD_${shardIndexForUser(user, 6)}`]!.prepare(
      "SELECT count(*) AS n FROM feed_items WHERE user_id = ?1",
    )
      .bind(user)
      .first<{ n: number }>();
    expect(stored?.n).toBe(1);
  });

  it("health names the target while a reshard runs", async () => {
    await env
      .SHARD_0!.prepare(
        `INSERT INTO deployment_routing (id, shard_count, target_count, job_id, moves_from, changed_at)
         VALUES (1, 4, 5, 'reshard-test', ?1, ?1)`,
      )
      .bind(Date.now())
      .run();
    await routingCacheExpires();
    expect((await call("GET", "/health")).body).toEqual({ status: "ok", shards: 4, resharding_to: 5 });
  });

  it("every bound shard has the schema, the unused ones too", async () => {
    for (let index = 0; index < 8; index++) {
      const table = await env[`SHARD_${index}`]!.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'deployment_routing'",
      ).first();
      expect(table, `SHARD_${index}`).not.toBeNull();
    }
  });
});
