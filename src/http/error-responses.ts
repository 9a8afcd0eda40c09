import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { ConfigError } from "../config";
import { InvalidInputError, ServiceError } from "../errors";
import { log } from "../platform/log";
import type { AppEnv } from "./app-env";

/**
 * Error bodies follow the original API's framework (Django REST framework):
 * `{"detail": "..."}` for 401/403/404/409/413/415/5xx and `{"field": ["message"]}`
 * for validation errors. Nested fields use dotted paths (`events.3.user_id`);
 * problems with the body as a whole go under `non_field_errors`.
 */
export type ValidationErrors = Record<string, string[]>;

export function detail(c: Context, status: ContentfulStatusCode, message: string, headers?: Record<string, string>) {
  return c.json({ detail: message }, status, headers);
}

type Issue = z.core.$ZodIssue;

/**
 * A union (e.g. one event or `{"events": [...]}`) fails as a whole; report the
 * problems of the alternative that came closest, which is what the caller meant.
 */
function closestAlternative(issue: Extract<Issue, { code: "invalid_union" }>): Issue[] | undefined {
  const alternatives = issue.errors.filter((alternative) => alternative.length > 0);
  if (alternatives.length === 0) return undefined;
  const best = alternatives.reduce((closest, next) => (next.length < closest.length ? next : closest));
  return best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

export function validationErrors(error: { issues: readonly Issue[] }, location?: "query" | "body"): ValidationErrors {
  const errors: ValidationErrors = {};
  const add = (path: readonly PropertyKey[], message: string) => {
    const field = path.map(String).join(".") || (location === "query" ? "query" : "non_field_errors");
    errors[field] ??= [];
    // Two checks can say the same (an integer past the safe range fails two limits).
    if (!errors[field].includes(message)) errors[field].push(message);
  };
  const visit = (issue: Issue) => {
    if (issue.code === "invalid_union") {
      const inner = closestAlternative(issue);
      if (inner) return inner.forEach(visit);
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add([...issue.path, key], "Unknown field.");
      return;
    }
    add(issue.path, issue.message); // in DRF's words: src/schemas/drf-wording.ts
  };
  error.issues.forEach(visit);
  return errors;
}

export function invalid(c: Context, errors: ValidationErrors) {
  return c.json(errors, 400);
}

/** The app's onError: service errors get their own status, the rest a logged 500. */
export function renderError(error: Error, c: Context<AppEnv>) {
  const requestLog = c.get("log") ?? log;
  if (error instanceof InvalidInputError) return invalid(c, { [error.field]: [error.message] });
  if (error instanceof ServiceError)
    return detail(
      c,
      error.status,
      error.message,
      error.retryAfterSeconds === undefined ? undefined : { "Retry-After": String(error.retryAfterSeconds) },
    );
  if (error instanceof HTTPException) {
    if (error.res) return error.res;
    if (error.status === 400) return detail(c, 400, `JSON parse error - ${error.message}`);
    return detail(c, error.status as ContentfulStatusCode, error.message);
  }
  if (error instanceof ConfigError) {
    requestLog.error(error.message);
    return detail(c, 500, "Service misconfigured; see the Worker's logs.");
  }
  requestLog.error("unhandled error", { error });
  return detail(c, 500, "Internal server error.");
}
