import { env, SELF } from "cloudflare:test";
import { sign } from "hono/jwt";

export const BASE = "https://feed.test";
/** The secret vitest.config.ts gives the Worker. */
export const TEST_JWT_SECRET = env.JWT_SECRET;

export async function tokenFor(userId: number | string, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: userId, iat: now, exp: now + 3600, ...claims }, TEST_JWT_SECRET, "HS256");
}

export const staffToken = () => tokenFor(999_999, { is_staff: true });

// biome-ignore lint/suspicious/noExplicitAny: tests read bodies field by field
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

// biome-ignore lint/suspicious/noExplicitAny: as ApiResponse
export async function call<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: BodyInit; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  const response = await SELF.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Non-JSON bodies stay text so a test can show what came back.
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

// biome-ignore lint/suspicious/noExplicitAny: as ApiResponse
export async function asUser<T = any>(userId: number, method: string, path: string, body?: unknown) {
  return call<T>(method, path, { token: await tokenFor(userId), body });
}

/** Creates items through the internal API, as producers do. */
export async function ingest(events: Record<string, unknown>[] | Record<string, unknown>) {
  const body = Array.isArray(events) ? { events } : events;
  const response = await call("POST", "/api/internal/events/", { token: await staffToken(), body });
  if (response.status !== 201) throw new Error(`ingest failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as {
    created_count: number;
    duplicate_count: number;
    muted_count: number;
    results: { id: number; user_id: number; activity_type: string; title: string; created_at: string }[];
  };
}

let nextUser = 1000;
/** A user id no other test uses, so tests never see each other's rows. */
export function freshUser(): number {
  nextUser += 1 + Math.floor(Math.random() * 50);
  return nextUser + Math.floor(Math.random() * 1_000_000) * 1000;
}

/** Polls a queued job until every shard is done; its progress body. */
export async function waitForJob(jobId: string, timeoutMs = 45_000) {
  const token = await staffToken();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await call("GET", `/api/admin/jobs/${jobId}/`, { token });
    if (response.status === 200 && response.body.done) return response.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
