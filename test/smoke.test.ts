import { describe, expect, it } from "vitest";
import { asUser, call, freshUser, ingest } from "./support/http";

describe("thin slice", () => {
  it("a created event shows up in its user's feed", async () => {
    const user = freshUser();
    await ingest({ user_id: user, activity_type: "fast_join", data: { fast_id: 12, fast_name: "Great Lent Fast" } });
    const response = await asUser(user, "GET", "/api/events/activity-feed/");
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(1);
    expect(response.body.results[0]).toMatchObject({
      activity_type: "fast_join",
      activity_type_display: "Joined Fast",
      title: "Joined Great Lent Fast",
      is_read: false,
      target_type: "hub.fast",
      target_id: 12,
      age_display: "just now",
    });
  });

  it("health answers", async () => {
    const response = await call("GET", "/health");
    expect(response.status).toBe(200);
  });
});
