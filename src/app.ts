import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { configFor } from "./config";
import type { AppEnv } from "./http/app-env";
import { detail, invalid, renderError, validationErrors } from "./http/error-responses";
import { registerAdminRoutes } from "./routes/admin";
import { registerFeedRoutes } from "./routes/feed";
import { registerInternalRoutes } from "./routes/internal";
import { registerMetaRoutes } from "./routes/meta";
import { registerRetentionRoutes } from "./routes/retention";

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
    allowHeaders: ["Authorization", "Content-Type"],
    allowMethods: ["GET", "POST", "OPTIONS"],
    exposeHeaders: ["X-Cache"],
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
  app.notFound((c) => detail(c, 404, "Not found."));
  app.use("*", withConfig, corsFromConfig);

  registerMetaRoutes(app);
  registerFeedRoutes(app);
  registerInternalRoutes(app);
  registerAdminRoutes(app);
  registerRetentionRoutes(app);
  return app;
}
