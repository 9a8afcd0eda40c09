import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { REQUEST_BODY_BYTES } from "../platform/limits";
import type { AppEnv } from "./app-env";
import { detail } from "./error-responses";

/** 413 before anything is parsed or written. */
export const limitBody = bodyLimit({
  maxSize: REQUEST_BODY_BYTES,
  onError: (c) => detail(c, 413, `Request body is larger than ${REQUEST_BODY_BYTES} bytes.`),
});

/**
 * POST bodies must be JSON. Without this a form-encoded body would reach the
 * validator as `{}` and produce a misleading "field required" error.
 */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
    return detail(c, 415, `Unsupported media type "${type.split(";")[0]}" in request; send application/json.`);
  }
  await next();
});
