import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireStaff, requireUser } from "../auth/authenticate";
import { isoTime } from "../feed/feed-item";
import { ingestEvents } from "../feed/ingest";
import type { AppEnv } from "../http/app-env";
import { limitBody, requireJson } from "../http/guards";
import { toPublicId } from "../shards/ids";
import { bodyErrorResponses, staffErrorResponses } from "../schemas/common";
import { IngestRequestSchema, IngestResponseSchema } from "../schemas/events";

const security = [{ bearerAuth: [] }];

const ingestRoute = createRoute({
  method: "post",
  path: "/api/internal/events",
  tags: ["Internal"],
  summary: "Create feed items from events (staff)",
  description:
    "One event, or `{\"events\": [...]}` with up to 500. All-or-nothing validation: one invalid event rejects the request and nothing is written. " +
    "The same `event_id` for the same user never creates a second item.",
  security,
  middleware: [requireUser, requireStaff, limitBody, requireJson] as const,
  request: { body: { required: true, content: { "application/json": { schema: IngestRequestSchema } } } },
  responses: {
    201: { description: "Items created (duplicates create nothing)", content: { "application/json": { schema: IngestResponseSchema } } },
    ...staffErrorResponses,
    ...bodyErrorResponses,
  },
});

export function registerInternalRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(ingestRoute, async (c) => {
    const body = c.req.valid("json");
    const events = "events" in body ? body.events : [body];
    const outcome = await ingestEvents(c.env, c.var.config, events, Date.now());
    return c.json(
      {
        created_count: outcome.created.length,
        duplicate_count: outcome.duplicates,
        results: outcome.created.map(({ shardIndex, row }) => ({
          id: toPublicId(shardIndex, row.id),
          user_id: row.userId,
          activity_type: row.activityType,
          title: row.title,
          created_at: isoTime(row.createdAt),
        })),
      },
      201,
    );
  });
}
