import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { readPreferences, writePreferences } from "../feed/preferences";
import type { AppEnv } from "../http/app-env";
import { bearerAuth, jsonBody, jsonResponse, userBodyCall, userCall } from "../http/route-parts";
import { authErrorResponses, bodyErrorResponses, errorResponses } from "../schemas/common";
import { PreferencesSchema } from "../schemas/feed";

const PATH = "/api/events/activity-feed/preferences";

const readRoute = createRoute({
  method: "get",
  path: PATH,
  tags: ["Feed"],
  summary: "The activity types the caller mutes",
  security: bearerAuth,
  middleware: userCall(),
  responses: { 200: jsonResponse("Preferences", PreferencesSchema), ...authErrorResponses },
});

const writeRoute = createRoute({
  method: "put",
  path: PATH,
  tags: ["Feed"],
  summary: "Replace the activity types the caller mutes",
  description:
    "New items of a muted type are not created for the caller (their events are still stored); existing items stay.",
  security: bearerAuth,
  middleware: userBodyCall(),
  request: jsonBody(PreferencesSchema),
  responses: {
    200: jsonResponse("The stored preferences", PreferencesSchema),
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

export function registerPreferenceRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(readRoute, async (c) => {
    const preferences = await readPreferences(c.env, c.var.principal.userId);
    return c.json({ muted_types: preferences.mutedTypes }, 200);
  });

  app.openapi(writeRoute, async (c) => {
    const { muted_types } = c.req.valid("json");
    const stored = await writePreferences(c.env, c.var.principal.userId, { mutedTypes: muted_types }, Date.now());
    return c.json({ muted_types: stored.mutedTypes }, 200);
  });
}
