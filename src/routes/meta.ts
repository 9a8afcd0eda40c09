import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";
import { jsonResponse } from "../http/route-parts";
import { serverErrorResponses } from "../schemas/common";
import { EventBatchSchema, EventSchema } from "../schemas/events";

const HealthSchema = z.object({ status: z.literal("ok"), shards: z.number().int() }).openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness: the Worker runs and its configuration is valid",
  responses: { 200: jsonResponse("Healthy", HealthSchema), ...serverErrorResponses },
});

const PointersSchema = z
  .object({
    openapi: z.string().openapi({ example: "http://localhost:8787/openapi.json" }),
    health: z.string().openapi({ example: "http://localhost:8787/health" }),
  })
  .openapi("Pointers");

// Until the service has pages of its own, `/` and `/docs` say where the description is.
const pointerRoute = (path: "/" | "/docs") =>
  createRoute({
    method: "get",
    path,
    tags: ["Meta"],
    summary: "Where the API is described: the OpenAPI document and the health check",
    responses: { 200: jsonResponse("Links", PointersSchema), ...serverErrorResponses },
  });

export function registerMetaRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const, shards: c.var.config.shardCount }, 200));
  for (const path of ["/", "/docs"] as const) {
    app.openapi(pointerRoute(path), (c) => {
      const origin = new URL(c.req.url).origin;
      return c.json({ openapi: `${origin}/openapi.json`, health: `${origin}/health` }, 200);
    });
  }

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
