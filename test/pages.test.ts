import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { BASE } from "./support/http";

/** The pages the Worker serves from its static assets (src/routes/pages.ts, built by npm run build). */

const get = (path: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}${path}`, { headers, redirect: "manual" });

/** The Worker under other variables than the test project's (a production deployment). */
async function deployed(path: string, vars: Record<string, string>) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`),
    { ...env, ENVIRONMENT: "production", CORS_ALLOWED_ORIGINS: "", ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("/", () => {
  it("answers API clients with JSON links", async () => {
    for (const accept of [undefined, "application/json", "*/*"]) {
      const response = await get("/", accept ? { Accept: accept } : {});
      expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({
        docs: "https://feed.test/docs/",
        openapi: "https://feed.test/openapi.json",
        health: "https://feed.test/health",
        inbox: "https://feed.test/inbox/",
      });
    }
  });

  it("answers a browser with a page of the same links", async () => {
    const response = await get("/", { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(response.headers.get("Vary")).toContain("Accept");
    const page = await response.text();
    for (const link of ["/docs/", "/openapi.json", "/health", "/inbox/"])
      expect(page).toContain(`href="https://feed.test${link}"`);
  });

  it("names the inbox demo only where it is served", async () => {
    expect(await (await deployed("/", {})).json()).not.toHaveProperty("inbox");
  });
});

describe("/docs", () => {
  it("redirects to /docs/, the API reference page over /openapi.json, its scripts served locally", async () => {
    const bare = await get("/docs");
    expect(bare.status).toBe(307);
    expect(bare.headers.get("Location")).toBe("/docs/");
    const page = await (await get("/docs/")).text();
    expect(page).toContain('<div id="reference">');
    for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "reference.js"]) {
      expect(page).toContain(`./${file}`);
      const asset = await get(`/docs/${file}`);
      expect(asset.status, file).toBe(200);
      expect((await asset.text()).length, file).toBeGreaterThan(100);
    }
    const reference = await (await get("/docs/reference.js")).text();
    expect(reference).toContain("/openapi.json");
    expect(reference).not.toMatch(/https?:\/\/(?!localhost)[a-z]/i); // no CDN, no remote validator
  });
});

describe("/embed/", () => {
  it("serves the inbox element as a module any origin may load", async () => {
    const response = await get("/embed/activity-feed-inbox.js", { Origin: "https://other.example" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/javascript/);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await response.text()).toContain("activity-feed-inbox");
  });
});

describe("/inbox/", () => {
  it("is served in development and test", async () => {
    const response = await get("/inbox/");
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("<activity-feed-inbox");
    expect(page).toContain("/embed/activity-feed-inbox.js");
  });

  it("is off in production unless INBOX_DEMO_PAGE turns it on", async () => {
    const off = await deployed("/inbox/", {});
    expect(off.status).toBe(404);
    expect(await off.json()).toEqual({ detail: "Not found." });
    expect((await deployed("/inbox/demo.js", {})).status).toBe(404);
    expect((await deployed("/inbox/", { INBOX_DEMO_PAGE: "true" })).status).toBe(200);
    expect((await deployed("/embed/activity-feed-inbox.js", {})).status).toBe(200);
  });

  it("a bad INBOX_DEMO_PAGE is a configuration error, named in the log", async () => {
    const response = await deployed("/health", { INBOX_DEMO_PAGE: "perhaps" });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ detail: "Service misconfigured; see the Worker's logs." });
  });
});

it("an unknown path is still the API's 404", async () => {
  const response = await get("/nothing-here");
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ detail: "Not found." });
});
