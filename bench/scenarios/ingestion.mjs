// Scenario 6: ingestion. Queue path: producers POST 100 events per request to
// /api/internal/events/ in asynchronous mode (one batch_create message of 100
// events each, over users on every shard); the consumer writes batches of up to
// 100 messages per invocation. Measured from the first POST until every item
// is in the shard files (read-only polling of SQLite). Baseline: the same kind
// of events through synchronous POST /api/internal/events/, one event per
// request, i.e. one D1 transaction per event, with several connections.
import { readFileSync, statSync } from "node:fs";
import { staffClient, staffHeader } from "../lib/api.mjs";
import { ACTIVITY_TYPE_NAMES, INGEST_USER_BASE, randomSource } from "../lib/dataset.mjs";
import { measureTargets } from "../lib/http-load.mjs";
import { openDatabase } from "../lib/sqlite.mjs";
import { median, ratio, sleep } from "../lib/stats.mjs";
import { backgroundUsage, sumUsage, usageDelta } from "./d1-cost.mjs";

const INGEST_USERS = 1_000;
const EVENTS_PER_REQUEST = 100;
const IN_FLIGHT = 4;

function eventFactory(prefix, seed) {
  const random = randomSource(seed);
  let sequence = 0;
  return () => {
    const fastId = 1 + Math.floor(random() * 40);
    return {
      user_id: INGEST_USER_BASE + 1 + Math.floor(random() * INGEST_USERS),
      activity_type: ACTIVITY_TYPE_NAMES[Math.floor(random() * ACTIVITY_TYPE_NAMES.length)],
      data: { fast_id: fastId, fast_name: `Fast ${fastId}` },
      event_id: `${prefix}-${++sequence}`,
    };
  };
}

function ingestedCount(shardFiles) {
  let total = 0;
  for (const file of shardFiles) {
    const db = openDatabase(file, { readOnly: true });
    total += db
      .prepare("SELECT count(*) AS n FROM feed_items WHERE user_id > ? AND user_id <= ?")
      .get(INGEST_USER_BASE, INGEST_USER_BASE + INGEST_USERS).n;
    db.close();
  }
  return total;
}

const logSize = (file) => statSync(file).size;
function handBacks(logFile, fromByte) {
  const text = readFileSync(logFile, "utf8").slice(fromByte);
  const lines = text.split("\n").filter((line) => line.includes("handed messages back to the queue"));
  const messages = lines.reduce((sum, line) => sum + Number(/"count":(\d+)/.exec(line)?.[1] ?? 0), 0);
  const invocations = (text.match(/QUEUE activity-feed-work \d+\/\d+/g) ?? []).length;
  return { invocations, hand_backs: lines.length, messages_handed_back: messages };
}

/** One round: enqueue `events` events, wait until all of them are items. */
async function queueRound({ baseUrl, shardFiles, logFile, events, round, timeoutSeconds }) {
  const makeEvent = eventFactory(`bench-q${Date.now()}-${round}`, 100 + round);
  const before = ingestedCount(shardFiles);
  const logFrom = logSize(logFile);
  const backgroundBefore = await backgroundUsage(baseUrl);
  const requestUsage = [];
  const started = performance.now();
  const inFlight = new Set();
  for (let sent = 0; sent < events; sent += EVENTS_PER_REQUEST) {
    const batch = Array.from({ length: Math.min(EVENTS_PER_REQUEST, events - sent) }, makeEvent);
    const staff = staffClient(baseUrl); // one per request in flight: its lastAnswer() is this request's
    const request = staff.ingest(batch).then((result) => {
      const { status, d1 } = staff.lastAnswer();
      requestUsage.push(d1);
      if (status !== 202)
        throw new Error(
          `async ingestion answered ${status}: ${JSON.stringify(result).slice(0, 200)} (is USE_ASYNC_ACTIVITY_FEED on?)`,
        );
    });
    inFlight.add(request);
    request.catch(() => {}).then(() => inFlight.delete(request)); // the error surfaces through race/all below
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const producedMs = performance.now() - started;
  let count = before;
  while (count - before < events) {
    if (performance.now() - started > timeoutSeconds * 1000) break;
    await sleep(100);
    count = ingestedCount(shardFiles);
  }
  const ms = performance.now() - started;
  const stored = count - before;
  await sleep(500); // Miniflare logs an invocation after it returns, a little after its writes are visible
  // The consumer's D1 work (background) plus the producers' own, per item stored.
  const consumer = usageDelta(backgroundBefore, await backgroundUsage(baseUrl), stored, "item");
  const producers = sumUsage(requestUsage);
  return {
    events,
    stored,
    complete: stored >= events,
    seconds: ms / 1000,
    produce_seconds: producedMs / 1000,
    items_per_s: stored / (ms / 1000),
    ...handBacks(logFile, logFrom),
    d1: {
      consumer,
      producer_requests: producers,
      rows_read_per_item: (consumer.rows_read + producers.rows_read) / stored,
      rows_written_per_item: (consumer.rows_written + producers.rows_written) / stored,
    },
  };
}

export async function ingestViaQueue({ baseUrl, shardFiles, logFile, mode, log }) {
  const runs = [];
  for (let round = 1; round <= mode.ingest.rounds; round++) {
    const run = await queueRound({
      baseUrl,
      shardFiles,
      logFile,
      events: mode.ingest.events,
      round,
      timeoutSeconds: 300,
    });
    runs.push(run);
    log(
      `    round ${round}/${mode.ingest.rounds}: ${run.stored}/${run.events} items in ${run.seconds.toFixed(1)} s ` +
        `(enqueued in ${run.produce_seconds.toFixed(1)} s) = ${run.items_per_s.toFixed(0)} items/s; ` +
        `${run.invocations} consumer invocations, ${run.messages_handed_back} messages handed back`,
    );
  }
  return {
    events_per_request: EVENTS_PER_REQUEST,
    runs,
    items_per_s: median(runs.map((run) => run.items_per_s)),
    d1: {
      rows_read_per_item: median(runs.map((run) => run.d1.rows_read_per_item)),
      rows_written_per_item: median(runs.map((run) => run.d1.rows_written_per_item)),
    },
  };
}

/** D1 per request of the synchronous path, from a few requests sent one at a time before the load. */
async function syncRequestCost(baseUrl, makeEvent, requests = 20) {
  const staff = staffClient(baseUrl);
  const usages = [];
  for (let index = 0; index < requests; index++) {
    const result = await staff.ingest(makeEvent());
    const { status, d1 } = staff.lastAnswer();
    if (status !== 201) throw new Error(`synchronous ingestion answered ${status}: ${JSON.stringify(result)}`);
    usages.push(d1);
  }
  if (usages.some((usage) => !usage)) return null;
  const total = sumUsage(usages.map(({ background: _, ...usage }) => usage));
  return {
    ...total,
    units: requests,
    unit: "item",
    rows_read_per_unit: total.rows_read / requests,
    rows_written_per_unit: total.rows_written / requests,
  };
}

export async function ingestOnePerRequest({ baseUrl, mode, cpuSeconds, log }) {
  const makeEvent = eventFactory(`bench-s${Date.now()}`, 7);
  const d1 = await syncRequestCost(baseUrl, makeEvent);
  const target = {
    name: "sync_one_event_per_request",
    next: () => ({
      method: "POST",
      path: "/api/internal/events/",
      headers: { authorization: staffHeader(), "content-type": "application/json" },
      body: JSON.stringify(makeEvent()),
    }),
  };
  const result = (await measureTargets(baseUrl, [target], { ...mode, cpuSeconds, log })).sync_one_event_per_request;
  if (result.non2xx > 0) log(`    warning: ${result.non2xx} synchronous ingestion requests did not answer 2xx`);
  return { ...result, items_per_s: result.rps, d1 };
}

export function ingestionResult(queue, sync) {
  return { queue, one_per_transaction: sync, ratio: ratio(queue?.items_per_s ?? null, sync?.items_per_s ?? null) };
}
