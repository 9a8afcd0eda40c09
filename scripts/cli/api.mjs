// The operator CLI's connection: the typed client's staff calls (activity-feed/client, built from
// src/client by npm run build) against a running deployment.
import { createStaffClient, FeedApiError } from "activity-feed/client";
import { signToken } from "../lib/project.mjs";

export { FeedApiError };

export function createClient({ url, token }) {
  // Local development needs no token: the CLI signs a staff token with .dev.vars.
  const bearer = token ?? signToken({ userId: 999_999, staff: true, ttlSeconds: 3600 });
  return createStaffClient({ baseUrl: url, token: bearer });
}

/** A failure as the scripts print it, and their exit code: 3 when the service could not be reached, else 1. */
export function failure(error) {
  if (error.status === 0) return { line: `${error.message}; is the service running? (npm run dev)`, code: 3 };
  return { line: error.message, code: 1 };
}
