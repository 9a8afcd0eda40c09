import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { detail } from "../http/error-responses";

/**
 * What the Worker serves from its static assets (dist/assets, built from
 * web/ by `npm run build`): the API reference, the embeddable inbox and its
 * demo page. Not API endpoints, so not in /openapi.json.
 */

async function serveAsset(c: Context<AppEnv>, headers: Record<string, string> = {}) {
  // The bench serves the bundle without assets; an API-only deployment may too.
  if (!c.env.ASSETS) return detail(c, 404, "Not found.");
  const response = await c.env.ASSETS.fetch(c.req.raw);
  if (Object.keys(headers).length === 0) return response;
  const withHeaders = new Response(response.body, response);
  for (const [name, value] of Object.entries(headers)) withHeaders.headers.set(name, value);
  return withHeaders;
}

export function registerPageRoutes(app: Hono<AppEnv>) {
  app.get("/docs", (c) => serveAsset(c));
  app.get("/docs/*", (c) => serveAsset(c));
  // The component is public code any app may load, from any origin (module scripts load with CORS).
  app.get("/embed/*", (c) => serveAsset(c, { "Access-Control-Allow-Origin": "*" }));
  const inbox = (c: Context<AppEnv>) => (c.var.config.inboxDemoPage ? serveAsset(c) : detail(c, 404, "Not found."));
  app.get("/inbox", inbox);
  app.get("/inbox/*", inbox);
}
