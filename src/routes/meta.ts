import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";
import { jsonResponse } from "../http/route-parts";
import { EventBatchSchema, EventSchema } from "../schemas/events";

const HealthSchema = z.object({ status: z.literal("ok"), shards: z.number().int() }).openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness: the Worker runs and its configuration is valid",
  responses: { 200: jsonResponse("Healthy", HealthSchema) },
});

export function registerMetaRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const, shards: c.var.config.shardCount }, 200));

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
