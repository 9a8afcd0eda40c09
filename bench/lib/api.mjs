// Talking to the Worker under test: tokens and JSON requests.
import { signToken } from "../../scripts/lib/project.mjs";
import { BENCH_JWT_SECRET, STAFF_USER_ID } from "./modes.mjs";
import { sleep } from "./stats.mjs";

export const FEED = "/api/events/activity-feed/";

const tokens = new Map();

/** `Authorization` header of a user (cached: signing is not what we measure). */
export function authHeader(userId, { staff = false } = {}) {
  const key = `${userId}:${staff}`;
  if (!tokens.has(key))
    tokens.set(key, `Bearer ${signToken({ userId, staff, secret: BENCH_JWT_SECRET, ttlSeconds: 6 * 3600 })}`);
  return tokens.get(key);
}

export const staffHeader = () => authHeader(STAFF_USER_ID, { staff: true });

export async function api(baseUrl, path, { method = "GET", userId, staff = false, body } = {}) {
  const headers = { authorization: staff ? staffHeader() : authHeader(userId) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, d1: d1Usage(response.headers), headers: response.headers };
}

/**
 * The D1 meter's figures in a response of a Worker started with D1_METER=true
 * (src/shards/d1-meter.ts): this request's, and (`background`) the isolate's
 * work outside requests so far. Null without the meter.
 */
export function d1Usage(headers) {
  if (!headers.has("x-d1-queries")) return null;
  const usage = (prefix) => ({
    queries: Number(headers.get(`${prefix}-queries`)),
    round_trips: Number(headers.get(`${prefix}-round-trips`)),
    rows_read: Number(headers.get(`${prefix}-rows-read`)),
    rows_written: Number(headers.get(`${prefix}-rows-written`)),
    unmetered: Number(headers.get(`${prefix}-unmetered`) ?? 0),
  });
  return { ...usage("x-d1"), background: usage("x-d1-background") };
}

/** Like api(), but anything other than the expected status is an error. */
export async function apiExpect(baseUrl, path, expected, options) {
  return (await apiExpectFull(baseUrl, path, expected, options)).json;
}

/** apiExpect with the whole answer: status, json, text, d1, headers. */
export async function apiExpectFull(baseUrl, path, expected, options) {
  const result = await api(baseUrl, path, options);
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(result.status))
    throw new Error(`${options?.method ?? "GET"} ${path}: ${result.status} ${result.text.slice(0, 300)}`);
  return result;
}

/**
 * Follows a queued job, GET /api/admin/jobs/{id}/, until it is done or
 * `maxSeconds` have passed since `started` (a performance.now()). Waits
 * `firstWait` ms before the first poll, doubling up to `maxWait`: short, so
 * that the job is not timed to the next poll (locally a poll that arrives
 * while a consumer invocation runs waits for it anyway). `onPoll(answer,
 * seconds, pollMs)` sees every answer; returns the last one and its time.
 */
export async function pollJob(baseUrl, jobId, { started, maxSeconds, firstWait = 100, maxWait = 250, onPoll }) {
  for (let wait = firstWait; ; wait = Math.min(maxWait, wait * 2)) {
    await sleep(wait);
    const asked = performance.now();
    const answer = await apiExpectFull(baseUrl, `/api/admin/jobs/${encodeURIComponent(jobId)}/`, 200, { staff: true });
    const seconds = (performance.now() - started) / 1000;
    onPoll?.(answer, seconds, performance.now() - asked);
    if (answer.json.done || seconds >= maxSeconds) return { answer, seconds };
  }
}
