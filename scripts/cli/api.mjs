// HTTP client of the operator CLI: staff calls against a running deployment.
import { signToken } from "../lib/project.mjs";

/** An error body as one line: DRF's `{"detail": ...}` or `{"field": ["message"]}`, else the body itself. */
function describe(body) {
  if (typeof body === "string") return body;
  if (typeof body?.detail === "string") return body.detail;
  if (body && typeof body === "object" && Object.values(body).every(Array.isArray))
    return Object.entries(body)
      .map(([field, messages]) =>
        field === "non_field_errors" ? messages.join(" ") : `${field}: ${messages.join(" ")}`,
      )
      .join("; ");
  return JSON.stringify(body);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}: ${describe(body)}`);
    this.status = status;
    this.body = body;
  }
}

export function createClient({ url, token }) {
  // Local development needs no token: the CLI signs a staff token with .dev.vars.
  const bearer = token ?? signToken({ userId: 999_999, staff: true, ttlSeconds: 3600 });
  const base = url.replace(/\/$/, "");

  async function request(method, path, body) {
    let response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(
        0,
        `cannot reach ${base} (${error.cause?.code ?? error.message}); is the service running? (npm run dev)`,
      );
    }
    const text = await response.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }

  return {
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body ?? {}),
  };
}
