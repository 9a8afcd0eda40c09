// Scenario 10 (opt-in: --only reshard): a reshard 4 -> 5 of the bench dataset while a bounded
// mixed load runs (a few connections, each in turn listing a random regular user's unread
// page, marking its first item read and ingesting one event for that user). Measured: users
// moved per second, the load's errors, p99 of its requests before and during the move, and
// that no item was lost or doubled (every shard's items after = before + items ingested).
import { authHeader, FEED, staffClient, staffHeader } from "../lib/api.mjs";
import { quantile, round, sleep } from "../lib/stats.mjs";

/** Concurrent request loops of the mixed load: bounded, so the move competes with steady traffic. */
const LOOPS = 4;

/** One request of the load, as it is sent (no client in between): its status and JSON body. */
async function api(baseUrl, path, { method = "GET", userId, staff = false, body } = {}) {
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
  return { status: response.status, json };
}

async function totalItems(staff) {
  const stats = await staff.stats();
  return { items: stats.total.items, shards: stats.shards.length };
}

/** Runs the mixed load until `stop()` says so; every request's time and status. */
function mixedLoad(baseUrl, regularUserIds) {
  const samples = [];
  let stopped = false;
  let ingested = 0;
  let sequence = 0;
  const timed = async (kind, work) => {
    const started = performance.now();
    const response = await work();
    samples.push({ kind, at: Date.now(), ms: performance.now() - started, status: response.status });
    return response;
  };
  const loop = async (index) => {
    while (!stopped) {
      const userId = regularUserIds[(sequence++ * 7919 + index) % regularUserIds.length];
      const page = await timed("list", () => api(baseUrl, `${FEED}?is_read=false&page_size=5`, { userId }));
      const id = page.json?.results?.[0]?.id;
      if (id !== undefined)
        await timed("mark_read", () =>
          api(baseUrl, `${FEED}mark-read/`, { method: "POST", userId, body: { activity_ids: [id] } }),
        );
      const created = await timed("ingest", () =>
        api(baseUrl, "/api/internal/events/", {
          method: "POST",
          staff: true,
          body: {
            user_id: userId,
            activity_type: "milestone",
            title: "reshard bench",
            event_id: `reshard-${sequence}`,
          },
        }),
      );
      if (created.status === 201) ingested += created.json.created_count;
    }
  };
  const loops = Array.from({ length: LOOPS }, (_, index) => loop(index));
  return {
    samples,
    ingested: () => ingested,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

const percentiles = (samples) => {
  const times = samples.map((sample) => sample.ms);
  return { p50_ms: round(quantile(times, 0.5), 1), p99_ms: round(quantile(times, 0.99), 1) };
};

const summary = (samples) => ({
  requests: samples.length,
  errors: samples.filter((sample) => sample.status >= 400).length,
  ...percentiles(samples),
  by_kind: Object.fromEntries(
    ["list", "mark_read", "ingest"].map((kind) => [
      kind,
      percentiles(samples.filter((sample) => sample.kind === kind)),
    ]),
  ),
});

function errorsByStatus(samples) {
  const counts = {};
  for (const { status } of samples) if (status >= 400) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export async function runReshard({ baseUrl, mode, regularUserIds, log }) {
  const staff = staffClient(baseUrl);
  const before = await totalItems(staff);
  const load = mixedLoad(baseUrl, regularUserIds);
  // Long enough for a p99 of a few thousand requests: a shorter baseline made the ratio swing with its own tail.
  const baselineSeconds = Math.max(10, mode.seconds * 3);
  await sleep(baselineSeconds * 1000);
  const started = await staff.reshard({ shard_count: before.shards + 1 });
  const startedAt = Date.now();
  const movesFrom = Date.parse(started.moves_from);
  let job;
  for (;;) {
    job = await staff.jobs.get(started.job_id);
    if (job.done) break;
    if (Date.now() - startedAt > 600_000) throw new Error(`reshard ${started.job_id} still running after 10 min`);
    await sleep(250);
  }
  const doneAt = Date.now();
  await load.stop();
  // The last chain's commit shows the job done; its onDone switches the count just after.
  let after;
  for (let tries = 0; tries < 40; tries++) {
    after = await totalItems(staff);
    if (after.shards === before.shards + 1) break;
    await sleep(250);
  }
  const expected = before.items + load.ingested();
  const baseline = load.samples.filter((sample) => sample.at < startedAt);
  // From the reshard's start: the routing it publishes is read while users wait to move.
  const during = load.samples.filter((sample) => sample.at >= startedAt && sample.at <= doneAt);
  const moveSeconds = (doneAt - movesFrom) / 1000;
  const result = {
    from_shards: before.shards,
    to_shards: after.shards,
    job_id: started.job_id,
    users_scanned: job.detail.scanned ?? 0,
    users_moved: job.detail.moved ?? 0,
    rows_copied: job.detail.copied ?? 0,
    move_seconds: round(moveSeconds, 1),
    users_moved_per_s: round((job.detail.moved ?? 0) / moveSeconds, 1),
    items_before: before.items,
    items_ingested: load.ingested(),
    items_after: after.items,
    errors: load.samples.filter((sample) => sample.status >= 400).length,
    lost: Math.max(0, expected - after.items),
    duplicated: Math.max(0, after.items - expected),
    before_move: summary(baseline),
    during_move: summary(during),
    errors_by_status: errorsByStatus(load.samples),
  };
  result.p99_ratio = round(result.during_move.p99_ms / result.before_move.p99_ms, 2);
  log(
    `    by kind during: ${JSON.stringify(result.during_move.by_kind)}\n` +
      `    ${result.users_moved} of ${result.users_scanned} users moved (${result.rows_copied.toLocaleString("en")} rows) in ` +
      `${result.move_seconds} s: ${result.users_moved_per_s} users/s; items ${result.items_before} + ${result.items_ingested} ` +
      `ingested = ${result.items_after} (lost ${result.lost}, duplicated ${result.duplicated}); ` +
      `errors ${result.errors}; p99 ${result.before_move.p99_ms} ms before, ` +
      `${result.during_move.p99_ms} ms during (${result.p99_ratio}x)`,
  );
  return result;
}
