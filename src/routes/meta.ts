import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { accepts } from "hono/accepts";
import { html } from "hono/html";
import type { AppEnv } from "../http/app-env";
import { jsonResponse } from "../http/route-parts";
import { serverErrorResponses } from "../schemas/common";
import { EventBatchSchema, EventSchema } from "../schemas/events";
import { HealthSchema, PointersSchema } from "../schemas/meta";
import { shardsOf } from "../shards/router";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness: the Worker runs, its configuration is valid, and how many shards it routes over",
  responses: { 200: jsonResponse("Healthy", HealthSchema), ...serverErrorResponses },
});

const landingRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["Meta"],
  summary: "Where things are: the OpenAPI document, the API reference, the health check (HTML for browsers)",
  responses: {
    200: {
      ...jsonResponse("Links", PointersSchema),
      content: {
        ...jsonResponse("Links", PointersSchema).content,
        "text/html": { schema: z.string().openapi({ description: "The same links as a page" }) },
      },
    },
    ...serverErrorResponses,
  },
});

const LINK_TEXT: Record<keyof z.output<typeof PointersSchema>, string> = {
  docs: "API reference",
  openapi: "OpenAPI document",
  health: "Health check",
  inbox: "Inbox demo",
};

/** The landing answer as a small page, for a person who opened the service in a browser. */
function landingPage(links: z.output<typeof PointersSchema>) {
  const items = Object.entries(links).map(
    ([name, url]) => html`<li><a href="${url}">${LINK_TEXT[name as keyof typeof links]}</a> <code>${url}</code></li>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Activity feed API</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
a{color:#0b57d0}code{color:#59636e;font-size:.85em;word-break:break-all}li{margin:.4rem 0}</style>
</head>
<body>
<h1>Activity feed API</h1>
<p>Per-user activity feeds with read, seen and archived states, counts and live updates.</p>
<ul>${items}</ul>
</body>
</html>`;
}

export function registerMetaRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, async (c) => {
    const router = await shardsOf(c.env);
    return c.json(
      { status: "ok" as const, shards: router.count, ...(router.reshard ? { resharding_to: router.reshard.to } : {}) },
      200,
    );
  });
  app.openapi(landingRoute, (c) => {
    const origin = new URL(c.req.url).origin;
    const links = {
      docs: `${origin}/docs/`,
      openapi: `${origin}/openapi.json`,
      health: `${origin}/health`,
      ...(c.var.config.inboxDemoPage ? { inbox: `${origin}/inbox/` } : {}),
    };
    c.header("Vary", "Accept");
    const wanted = accepts(c, {
      header: "Accept",
      supports: ["application/json", "text/html"],
      default: "application/json",
    });
    if (wanted === "text/html") return c.html(landingPage(links)) as never;
    return c.json(links, 200);
  });

  // Referenced by IngestRequest's oneOf.
  app.openAPIRegistry.register("Event", EventSchema);
  app.openAPIRegistry.register("EventBatch", EventBatchSchema);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "HS256 JWT: `sub` is the user id, `is_staff: true` marks staff callers.",
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Activity feed API",
      version: "1.0.0",
      description:
        "Per-user activity feed with read/unread tracking. Contract-compatible with the original /api/events/activity-feed/ API.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
}
