// HTTP client of the operator CLI: staff calls against a running deployment.
import { signToken } from "../lib/project.mjs";

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
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
