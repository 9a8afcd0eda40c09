import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { configFor } from "./config";
import type { AppEnv } from "./http/app-env";
import { invalid, renderError, validationErrors } from "./http/error-responses";
import { notFoundOrNotAllowed } from "./http/method-not-allowed";
import { log } from "./platform/log";
import { registerAdminRoutes } from "./routes/admin";
import { registerFeedRoutes } from "./routes/feed";
import { registerInternalRoutes } from "./routes/internal";
import { registerItemActionRoutes } from "./routes/item-actions";
import { registerLiveRoutes } from "./routes/live";
import { registerMetaRoutes } from "./routes/meta";
import { registerPageRoutes } from "./routes/pages";
import { registerPreferenceRoutes } from "./routes/preferences";
import { registerRetentionRoutes } from "./routes/retention";
import { meterD1Usage } from "./shards/d1-meter";
import { BOOKMARK_HEADER, d1Sessions } from "./shards/d1-sessions";

/**
 * Every request gets an id (Cloudflare's Ray ID when there is one), echoed in
 * X-Request-Id and carried by its log lines, so a client's report finds them.
 */
const withRequestLog = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
  c.set("log", log.child({ request_id: requestId, method: c.req.method, path: c.req.path }));
  c.header("X-Request-Id", requestId);
  await next();
});

/** Parses configuration once per isolate and hands it to every handler. */
const withConfig = createMiddleware<AppEnv>(async (c, next) => {
  c.set("config", configFor(c.env));
  await next();
});

/** CORS for browser clients, from CORS_ALLOWED_ORIGINS ("*" only in development). */
const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const allowed = c.var.config.corsAllowedOrigins;
  const middleware = cors({
    origin: allowed.includes("*") ? "*" : (origin) => (allowed.includes(origin) ? origin : null),
    allowHeaders: ["Authorization", "Content-Type", "If-None-Match", "Idempotency-Key", BOOKMARK_HEADER],
    allowMethods: ["GET", "POST", "PUT", "OPTIONS"],
    exposeHeaders: ["X-Cache", "X-Request-Id", "ETag", BOOKMARK_HEADER],
    maxAge: 600,
  });
  return middleware(c, next);
});

export function createApp() {
  // strict: false makes the trailing slash optional, as the original clients
  // call both forms.
  const app = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success)
        return invalid(c, validationErrors(result.error, result.target === "query" ? "query" : "body"));
    },
  });
  app.onError(renderError);
  app.notFound(notFoundOrNotAllowed(app.routes));
  app.use("*", meterD1Usage, d1Sessions, withRequestLog, withConfig, corsFromConfig);

  registerMetaRoutes(app);
  registerPageRoutes(app);
  registerFeedRoutes(app);
  registerItemActionRoutes(app);
  registerPreferenceRoutes(app);
  registerLiveRoutes(app);
  registerInternalRoutes(app);
  registerAdminRoutes(app);
  registerRetentionRoutes(app);
  return app;
}
