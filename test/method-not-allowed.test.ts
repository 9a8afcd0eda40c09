import { describe, expect, it } from "vitest";
import { allowedMethods } from "../src/http/method-not-allowed";
import { call, freshUser, tokenFor } from "./support/http";

const FEED = "/api/events/activity-feed/";

describe("a known path with the wrong method", () => {
  it.each([
    ["GET", `${FEED}mark-read/`, "POST, OPTIONS"],
    ["DELETE", FEED, "GET, HEAD, OPTIONS"],
    ["PUT", `${FEED.slice(0, -1)}`, "GET, HEAD, OPTIONS"],
    ["POST", "/api/admin/jobs/some-job/", "GET, HEAD, OPTIONS"],
    ["GET", "/api/admin/jobs/some-job/resume", "POST, OPTIONS"],
  ])("%s %s is 405 with DRF's message and an Allow header", async (method, path, allow) => {
    const response = await call(method, path, { token: await tokenFor(freshUser()) });
    expect(response.status).toBe(405);
    expect(response.body).toEqual({ detail: `Method "${method}" not allowed.` });
    expect(response.headers.get("Allow")).toBe(allow);
  });

  it("an unknown path is still 404 Not found.", async () => {
    const response = await call("DELETE", "/api/events/activity-feeds/");
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: "Not found." });
    expect(response.headers.get("Allow")).toBeNull();
  });

  it("a path parameter does not match across slashes", () => {
    const routes = [{ method: "GET", path: "/api/admin/jobs/:job_id" }];
    expect(allowedMethods(routes, "/api/admin/jobs/a/b")).toEqual([]);
    expect(allowedMethods(routes, "/api/admin/jobs/a/")).toEqual(["GET", "HEAD", "OPTIONS"]);
  });
});
