import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { joinedAFastBefore } from "./support/db";
import { asUser, call, freshUser, ingest } from "./support/http";

describe("thin slice", () => {
  it("a created event shows up in its user's feed", async () => {
    const user = freshUser();
    await joinedAFastBefore(user);
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

  it("every answer names its request: a fresh id, or Cloudflare's Ray ID when there is one", async () => {
    const first = await call("GET", "/health");
    const second = await call("GET", "/health");
    expect(first.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers.get("X-Request-Id")).not.toBe(first.headers.get("X-Request-Id"));
    const rayed = await call("GET", "/api/events/activity-feed/", { headers: { "cf-ray": "8f1c2d3e4a5b6c7d-AMS" } });
    expect(rayed.status).toBe(401);
    expect(rayed.headers.get("X-Request-Id")).toBe("8f1c2d3e4a5b6c7d-AMS");
  });

  it("/ points to the OpenAPI document, the API reference and the health check", async () => {
    const response = await call("GET", "/");
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      openapi: "https://feed.test/openapi.json",
      docs: "https://feed.test/docs/",
      health: "https://feed.test/health",
    });
  });
});

describe("the test environment", () => {
  it("is vitest.config.ts's, whatever a local .dev.vars says", () => {
    expect(env.ENVIRONMENT).toBe("test");
    expect(env.JWT_SECRET).toBe("test-secret-at-least-16-chars");
    expect(env.CORS_ALLOWED_ORIGINS).toBe("https://app.example.org");
  });
});

describe("OpenAPI document", () => {
  it("is generated from the request schemas and lists every endpoint", async () => {
    const response = await call("GET", "/openapi.json");
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/",
        "/health",
        "/api/events/activity-feed",
        "/api/events/activity-feed/summary",
        "/api/events/activity-feed/unread-count",
        "/api/events/activity-feed/mark-read",
        "/api/events/activity-feed/mark-seen",
        "/api/events/activity-feed/mark-unread",
        "/api/events/activity-feed/archive",
        "/api/events/activity-feed/unarchive",
        "/api/events/activity-feed/preferences",
        "/api/events/activity-feed/live",
        "/api/events/activity-feed/live/ticket",
        "/api/events/activity-feed/generate",
        "/api/internal/events",
        "/api/internal/reminders",
        "/api/admin/populate",
        "/api/admin/jobs",
        "/api/admin/jobs/{job_id}",
        "/api/admin/jobs/{job_id}/resume",
        "/api/admin/reshard",
        "/api/admin/cleanup",
        "/api/admin/archive",
        "/api/admin/archive/restore",
        "/api/admin/archives",
        "/api/admin/stats",
      ].sort(),
    );
    const listParams = doc.paths["/api/events/activity-feed"].get.parameters.map(
      (parameter: { name: string }) => parameter.name,
    );
    expect(listParams).toEqual(
      expect.arrayContaining(["activity_type", "is_read", "start_date", "end_date", "page", "page_size", "cursor"]),
    );
    expect(doc.components.schemas.Event.properties.activity_type).toBeDefined();
    expect(doc.components.schemas.FeedItem.required).toEqual(
      expect.arrayContaining(["id", "activity_type_display", "age_display"]),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});

describe("OpenAPI responses", () => {
  // biome-ignore lint/suspicious/noExplicitAny: the document is read field by field
  const operations = async (): Promise<[string, string, any][]> => {
    const doc = (await call("GET", "/openapi.json")).body;
    return Object.entries(doc.paths).flatMap(([path, methods]) =>
      // biome-ignore lint/suspicious/noExplicitAny: as above
      Object.entries(methods as Record<string, any>).map(([method, operation]): [string, string, any] => [
        path,
        method,
        operation,
      ]),
    );
  };

  it("every operation documents its 500", async () => {
    for (const [path, method, operation] of await operations()) {
      expect(operation.responses[500], `${method} ${path}`).toBeDefined();
    }
  });

  it("every operation that needs a token documents 401", async () => {
    for (const [path, method, operation] of await operations()) {
      if (operation.security) expect(operation.responses[401], `${method} ${path}`).toBeDefined();
    }
  });

  it("unread-count documents its X-Cache header, page_size its minimum", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    const badge = doc.paths["/api/events/activity-feed/unread-count"].get.responses[200];
    expect(badge.headers["X-Cache"].schema).toEqual({ type: "string", enum: ["hit", "miss"] });
    const pageSize = doc.paths["/api/events/activity-feed"].get.parameters.find(
      (parameter: { name: string }) => parameter.name === "page_size",
    );
    expect(pageSize.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100 });
  });
});
