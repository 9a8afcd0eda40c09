import { describe, expect, it } from "vitest";
import { DeploymentStatsSchema, UserFeedStatsSchema } from "../src/schemas/retention";
import { joinedAFastBefore } from "./support/db";
import { call, freshUser, ingest, staffToken } from "./support/http";

describe("stats", () => {
  it("reports per shard and in total, and a user's feed stats", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
    await ingest([
      { user_id: user, activity_type: "fast_join", data: { fast_id: 1 } },
      { user_id: user, activity_type: "milestone", data: { fast_id: 1 } },
    ]);
    const token = await staffToken();
    const stats = await call("GET", "/api/admin/stats/", { token });
    expect(stats.status).toBe(200);
    expect(stats.body.shards).toHaveLength(4);
    const sum = stats.body.shards.reduce((total: number, shard: { items: number }) => total + shard.items, 0);
    expect(stats.body.total.items).toBe(sum);
    expect(stats.body.total.items).toBeGreaterThanOrEqual(2);
    expect(stats.body.total.database_bytes).toBeGreaterThan(0);
    expect(typeof stats.body.total.oldest_item).toBe("string");

    const mine = await call("GET", `/api/admin/stats/?user_id=${user}`, { token });
    expect(mine.body).toMatchObject({
      user_id: user,
      total_items: 2,
      unread_count: 2,
      read_count: 0,
      activity_types: { fast_join: 1, milestone: 1 },
    });
  });

  it("the stats document describes the bodies stats answers", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    expect(doc.paths["/api/admin/stats"].get.responses[200].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Stats",
    });
    const token = await staffToken();
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join" });
    const deployment = (await call("GET", "/api/admin/stats/", { token })).body;
    expect(Object.keys(deployment).sort()).toEqual(Object.keys(DeploymentStatsSchema.shape).sort());
    expect(Object.keys(deployment.total).sort()).toEqual(Object.keys(DeploymentStatsSchema.shape.total.shape).sort());
    DeploymentStatsSchema.parse(deployment);
    const one = (await call("GET", `/api/admin/stats/?user_id=${user}`, { token })).body;
    expect(Object.keys(one).sort()).toEqual(Object.keys(UserFeedStatsSchema.shape).sort());
    UserFeedStatsSchema.parse(one);
  });
});
