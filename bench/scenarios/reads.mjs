// Scenarios 1-4: the runtime floor, the first feed page of random users, page
// depth, and history size. All measured in one interleaved series, so every
// ratio compares runs made side by side.
import { authHeader, FEED, feedClient } from "../lib/api.mjs";
import { HISTORY_USER_BASE, randomSource } from "../lib/dataset.mjs";
import { measureTargets } from "../lib/http-load.mjs";
import { DEPTH_PAGE } from "../lib/modes.mjs";
import { median, ratio, timed } from "../lib/stats.mjs";

/**
 * The path of cursor page `page` (20 items a page), found by following `next`
 * links from the first page. A cursor is only a position in the feed, so the
 * walk takes steps of 100 items while it can and of 20 for the rest: the
 * cursor it ends on is the one 499 steps of 20 would reach, in ~100 requests.
 * Checked against `?page=N`, which must list the same items.
 */
async function cursorPagePath(baseUrl, userId, page) {
  const feed = feedClient(baseUrl, userId);
  const before = (page - 1) * 20;
  let cursor;
  for (let skipped = 0; skipped < before; ) {
    const size = before - skipped >= 100 ? 100 : 20;
    const body = await feed.list({ pagination: "cursor", page_size: size, cursor });
    if (!body.next) throw new Error(`user ${userId} has only ${body.count} items, fewer than ${page} pages`);
    skipped += body.results.length;
    cursor = new URL(body.next).searchParams.get("cursor");
  }
  const [cursorPage, numbered] = await Promise.all([feed.list({ cursor }), feed.list({ page: String(page) })]);
  const ids = (listing) => listing.results.map((item) => item.id).join(",");
  if (cursorPage.results.length !== 20 || ids(cursorPage) !== ids(numbered))
    throw new Error(`cursor page ${page} does not list the items of ?page=${page}`);
  return `${FEED}?cursor=${cursor}`;
}

/** The median over rounds of A/B measured in the same round (drift of the machine cancels out). */
export function roundRatio(results, a, b, key) {
  const runsA = results[a]?.per_run ?? [];
  const runsB = results[b]?.per_run ?? [];
  return median(
    runsA.map((run, index) => ratio(run[key], runsB[index]?.[key] ?? null)).filter((value) => value !== null),
  );
}

/** The first page of random users: the first `mode.randomUsers` of the shuffled users, picked at random (seed 42). */
export function firstPageRandom(mode, regularUserIds) {
  const pool = regularUserIds.slice(0, mode.randomUsers);
  const random = randomSource(42);
  return {
    name: "first_page_random",
    label: `first page ?is_read=false, ${pool.length} users at random`,
    next: () => ({
      path: `${FEED}?is_read=false`,
      headers: { authorization: authHeader(pool[Math.floor(random() * pool.length)]) },
    }),
  };
}

/** The floor and the first page of random users, interleaved (measureTargets' options). */
export const floorAndFirstPage = (baseUrl, mode, regularUserIds, options) =>
  measureTargets(baseUrl, [{ name: "floor", path: "/health" }, firstPageRandom(mode, regularUserIds)], {
    ...mode,
    ...options,
  });

/**
 * What the D1 meter itself costs: the first page of random users again, on
 * the metered Worker, against the unmetered run's CPU per request.
 */
export async function meterCost({ baseUrl, mode, regularUserIds, cpuSeconds, reads, log }) {
  log("  the meter's own cost: first page of random users on the metered Worker");
  const metered = (await measureTargets(baseUrl, [firstPageRandom(mode, regularUserIds)], { ...mode, cpuSeconds, log }))
    .first_page_random;
  const unmetered = reads.measurements.first_page_random;
  return {
    metered_cpu_ms_per_request: metered.cpu_ms_per_request,
    unmetered_cpu_ms_per_request: unmetered.cpu_ms_per_request,
    metered_rps: metered.rps,
    unmetered_rps: unmetered.rps,
  };
}

export async function runReadScenarios({ baseUrl, mode, regularUserIds, cpuSeconds, log }) {
  const sizes = mode.historySizes;
  const small = Math.min(...sizes);
  const big = Math.max(...sizes);
  const bigUser = HISTORY_USER_BASE + big;
  const asUser = (userId) => ({ authorization: authHeader(userId) });

  const walk = await timed(() => cursorPagePath(baseUrl, bigUser, DEPTH_PAGE));
  log(
    `  walked the cursor chain of user ${bigUser} to page ${DEPTH_PAGE} (checked against ?page=${DEPTH_PAGE}) in ${(walk.ms / 1000).toFixed(1)} s (not timed below)`,
  );

  const targets = [
    { name: "floor", label: "GET /health (fixed JSON)", path: "/health" },
    firstPageRandom(mode, regularUserIds),
    {
      name: "cursor_page_1",
      label: `cursor page 1 (${big} items)`,
      path: `${FEED}?pagination=cursor`,
      headers: asUser(bigUser),
    },
    {
      name: `cursor_page_${DEPTH_PAGE}`,
      label: `cursor page ${DEPTH_PAGE} (${big} items)`,
      path: walk.result,
      headers: asUser(bigUser),
    },
    {
      name: `page_${DEPTH_PAGE}`,
      label: `?page=${DEPTH_PAGE} (${big} items)`,
      path: `${FEED}?page=${DEPTH_PAGE}`,
      headers: asUser(bigUser),
    },
  ];
  for (const size of sizes) {
    const userId = HISTORY_USER_BASE + size;
    targets.push({
      name: `first_page_${size}`,
      label: `first page, ?page=1 (${size} items)`,
      path: FEED,
      headers: asUser(userId),
    });
    targets.push({
      name: `summary_${size}`,
      label: `summary (${size} items)`,
      path: `${FEED}summary/`,
      headers: asUser(userId),
    });
  }

  const results = await measureTargets(baseUrl, targets, { ...mode, cpuSeconds, log });
  for (const target of targets) results[target.name].label = target.label;

  return {
    measurements: results,
    depth_walk_seconds: walk.ms / 1000,
    depth_path: walk.result,
    ratios: {
      first_page_rps_vs_floor: roundRatio(results, "first_page_random", "floor", "rps"),
      cursor_depth_p50: roundRatio(results, `cursor_page_${DEPTH_PAGE}`, "cursor_page_1", "p50_ms"),
      page_number_depth_p50: roundRatio(results, `page_${DEPTH_PAGE}`, `first_page_${big}`, "p50_ms"),
      summary_history_p50: roundRatio(results, `summary_${big}`, `summary_${small}`, "p50_ms"),
      first_page_history_p50: roundRatio(results, `first_page_${big}`, `first_page_${small}`, "p50_ms"),
      // The same comparisons in the Worker's CPU per request, which queueing on a busy machine moves less.
      cursor_depth_cpu: roundRatio(results, `cursor_page_${DEPTH_PAGE}`, "cursor_page_1", "cpu_ms_per_request"),
      summary_history_cpu: roundRatio(results, `summary_${big}`, `summary_${small}`, "cpu_ms_per_request"),
      first_page_history_cpu: roundRatio(results, `first_page_${big}`, `first_page_${small}`, "cpu_ms_per_request"),
      first_page_cpu_vs_floor: roundRatio(results, "first_page_random", "floor", "cpu_ms_per_request"),
    },
    sizes: { small, big },
  };
}

/** Before measuring: the data the harness wrote is what the Worker reads (shard mapping included). */
export async function checkDataVisible({ baseUrl, mode, markReadUserIds }) {
  for (const size of mode.historySizes) {
    const summary = await feedClient(baseUrl, HISTORY_USER_BASE + size).summary();
    if (summary.total_items !== size)
      throw new Error(
        `user ${HISTORY_USER_BASE + size}: the Worker sees ${summary.total_items} items, ${size} were loaded`,
      );
  }
  for (const userId of markReadUserIds) {
    const summary = await feedClient(baseUrl, userId).summary();
    if (summary.unread_count !== mode.markReadItems)
      throw new Error(`user ${userId}: ${summary.unread_count} unread, expected ${mode.markReadItems}`);
  }
}
