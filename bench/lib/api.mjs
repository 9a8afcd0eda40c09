// Talking to the Worker under test: tokens, and the typed client (activity-feed/client, built
// from src/client by npm run build) that keeps each answer's D1 meter headers.
import { createFeedClient, createStaffClient } from "activity-feed/client";
import { signToken } from "../../scripts/lib/project.mjs";
import { BENCH_JWT_SECRET, STAFF_USER_ID } from "./modes.mjs";
import { sleep } from "./stats.mjs";

/** The feed's path, for the load generator's targets (bench/lib/http-load.mjs). */
export const FEED = "/api/events/activity-feed/";

const tokens = new Map();

/** A user's bearer token (cached: signing is not what we measure). */
function tokenOf(userId, staff) {
  const key = `${userId}:${staff}`;
  if (!tokens.has(key)) tokens.set(key, signToken({ userId, staff, secret: BENCH_JWT_SECRET, ttlSeconds: 6 * 3600 }));
  return tokens.get(key);
}

/** `Authorization` header of a user, for the load generator's targets. */
export const authHeader = (userId, { staff = false } = {}) => `Bearer ${tokenOf(userId, staff)}`;

export const staffHeader = () => authHeader(STAFF_USER_ID, { staff: true });

/**
 * The client's transport (TransportOptions.fetch) plus what its last request
 * got: `lastAnswer()` is `{ path, status, d1 }`, d1 as d1Usage() reads it
 * (status 0 and d1 null when no answer came). One request at a time per
 * client: concurrent callers take a client each.
 */
function withLastAnswer(baseUrl, create, token) {
  let last;
  const fetch = async (input, init) => {
    const sent = { url: new URL(input) };
    last = sent;
    sent.response = await globalThis.fetch(input, init);
    return sent.response;
  };
  const client = create({ baseUrl, token, fetch });
  const lastAnswer = () => ({
    path: last.url.pathname + last.url.search,
    status: last.response?.status ?? 0,
    d1: last.response ? d1Usage(last.response.headers) : null,
  });
  return { ...client, lastAnswer };
}

/** A user's typed feed client (createFeedClient) with `lastAnswer()`. */
export const feedClient = (baseUrl, userId) => withLastAnswer(baseUrl, createFeedClient, tokenOf(userId, false));

/** The typed staff client (createStaffClient) with `lastAnswer()`. */
export const staffClient = (baseUrl) => withLastAnswer(baseUrl, createStaffClient, tokenOf(STAFF_USER_ID, true));

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

/**
 * Follows a queued job (the staff client's jobs.get) until it is done or
 * `maxSeconds` have passed since `started` (a performance.now()). Waits
 * `firstWait` ms before the first poll, doubling up to `maxWait`: short, so
 * that the job is not timed to the next poll (locally a poll that arrives
 * while a consumer invocation runs waits for it anyway). `onPoll({ job, d1 },
 * seconds, pollMs)` sees every answer; returns the last one and its time.
 */
export async function pollJob(staff, jobId, { started, maxSeconds, firstWait = 100, maxWait = 250, onPoll }) {
  for (let wait = firstWait; ; wait = Math.min(maxWait, wait * 2)) {
    await sleep(wait);
    const asked = performance.now();
    const answer = { job: await staff.jobs.get(jobId), d1: staff.lastAnswer().d1 };
    const seconds = (performance.now() - started) / 1000;
    onPoll?.(answer, seconds, performance.now() - asked);
    if (answer.job.done || seconds >= maxSeconds) return { answer, seconds };
  }
}
