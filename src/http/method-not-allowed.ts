import type { Context } from "hono";
import { detail } from "./error-responses";

interface Route {
  readonly method: string;
  readonly path: string;
}

/** Django's order of methods, as DRF's `Allow` header lists them. */
const METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** A Hono route path (`/api/admin/jobs/:job_id`) as a regex; the trailing slash is optional (strict: false). */
function pathPattern(path: string): RegExp {
  const segments = path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}/?$`);
}

/**
 * The methods a path answers, as DRF's `Allow` header lists them: a GET view
 * also answers HEAD, and every view OPTIONS. Empty for a path no route has.
 */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || !pathPattern(route.path).test(path)) continue;
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
  }
  if (methods.size > 0) methods.add("OPTIONS");
  return METHOD_ORDER.filter((method) => methods.has(method));
}

/**
 * The app's notFound: a known path called with another method is DRF's 405
 * `Method "X" not allowed.` with an `Allow` header, anything else 404.
 */
export function notFoundOrNotAllowed(routes: readonly Route[]) {
  return (c: Context) => {
    const allowed = allowedMethods(routes, c.req.path);
    if (allowed.length === 0) return detail(c, 404, "Not found.");
    return detail(c, 405, `Method "${c.req.method}" not allowed.`, { Allow: allowed.join(", ") });
  };
}
